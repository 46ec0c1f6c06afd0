import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * usage_daily summed over sessions: one row per user, UTC day, agent type and model, so a user's report over
 * a range and today's quota read a few rows per day however many sessions the user has. Written by the append
 * statement beside usage_daily (see usageUpsertCtes); usage_daily stays the detail for group_by=session.
 */
@Entity('usage_daily_totals')
@Check('usage_daily_totals_counts_check', 'prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0 AND user_messages >= 0')
export class UsageDayTotal {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'usage_daily_totals_pkey' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'usage_daily_totals_user_id_fkey' })
  user?: User;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'usage_daily_totals_pkey' })
  day!: string;

  @PrimaryColumn({ name: 'agent_type', type: 'varchar', length: 32, primaryKeyConstraintName: 'usage_daily_totals_pkey' })
  agentType!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, default: '', primaryKeyConstraintName: 'usage_daily_totals_pkey' })
  model!: string;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: number;

  @Column({ type: 'integer', default: 0 })
  messages!: number;

  @Column({ name: 'user_messages', type: 'integer', default: 0 })
  userMessages!: number;
}

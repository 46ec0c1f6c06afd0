import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/** Schema description for TypeORM; written by the append statement (see usageUpsertCtes) and read with SQL. */
@Entity('usage_daily')
@Index('usage_daily_session_idx', ['userId', 'sessionId', 'day'])
@Check('usage_daily_counts_check', 'prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0 AND user_messages >= 0')
export class UsageDay {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** No foreign key to sessions: usage outlives deleted messages and sessions (it is never refunded). */
  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'usage_daily_user_id_fkey' })
  user?: User;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'agent_type', type: 'varchar', length: 32 })
  agentType!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, default: '' })
  model!: string;

  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: number;

  @Column({ type: 'integer', default: 0 })
  messages!: number;

  @Column({ name: 'user_messages', type: 'integer', default: 0 })
  userMessages!: number;
}

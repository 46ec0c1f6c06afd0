import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A user's usage per block of 1, 2, 8 or 32 UTC days, blocks aligned on 1970-01-01 (see usage-periods.ts),
 * for the admin report: a range of 90 days is 9 to 13 blocks, so it reads that many rows per user instead of
 * 90. Every block only ever adds the append's own counts, so concurrent appends commute as on usage_daily.
 */
@Entity('usage_periods')
@Index('usage_periods_span_start_idx', ['spanDays', 'startDay'])
@Check('usage_periods_span_check', 'span_days IN (1, 2, 8, 32)')
@Check('usage_periods_counts_check', 'prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0')
export class UsagePeriod {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'usage_periods_pkey' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'usage_periods_user_id_fkey' })
  user?: User;

  @PrimaryColumn({ name: 'span_days', type: 'smallint', primaryKeyConstraintName: 'usage_periods_pkey' })
  spanDays!: number;

  @PrimaryColumn({ name: 'start_day', type: 'date', primaryKeyConstraintName: 'usage_periods_pkey' })
  startDay!: string;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: number;

  @Column({ type: 'integer', default: 0 })
  messages!: number;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A fixed-window counter shared by every app instance, written by PgThrottlerStorage's one upsert. The
 * table is UNLOGGED (losing it in a crash only resets a window), which TypeORM neither states nor checks.
 */
@Entity('rate_limit_buckets')
export class RateLimitBucket {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  key!: string;

  @Column({ type: 'integer' })
  hits!: number;

  @Column({ name: 'resets_at', type: 'timestamptz', precision: 3 })
  resetsAt!: Date;
}

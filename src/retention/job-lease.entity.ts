import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A job that must run on one instance at a time across the cluster (the retention job): the instance whose
 * row has not expired holds it. A row, not an advisory lock, because a session advisory lock is lost or
 * shared behind PgBouncer in transaction mode; the holder renews the row in every batch's transaction.
 */
@Entity('job_leases')
export class JobLease {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'job_leases_pkey' })
  name!: string;

  /** host:pid:random of the instance that holds (or last held) it. */
  @Column({ type: 'varchar', length: 200 })
  holder!: string;

  @Column({ name: 'acquired_at', type: 'timestamptz', precision: 3 })
  acquiredAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;
}

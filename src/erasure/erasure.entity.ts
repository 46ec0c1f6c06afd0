import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../users/user.entity.js';

export const ERASURE_KINDS = ['user', 'session', 'history', 'sessions'] as const;
export type ErasureKind = (typeof ERASURE_KINDS)[number];

/**
 * Work the erasure worker still has to do: a user's every row, a permanently deleted session, a cleared
 * history (messages with seq <= floor_seq), or every erased session of the user (`sessions`, queued by
 * DELETE /sessions?permanent=true). Written in the transaction that hides the data; deleted in the
 * transaction that removes the last row.
 */
@Entity('erasures')
@Check('erasures_kind_check', `kind IN ('user', 'session', 'history', 'sessions')`)
@Check('erasures_target_check', `(kind IN ('user', 'sessions')) = (session_id IS NULL) AND (kind = 'history') = (floor_seq IS NOT NULL)`)
export class Erasure {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'erasures_pkey' })
  userId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'erasures_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ErasureKind;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ name: 'floor_seq', type: 'integer', nullable: true })
  floorSeq!: number | null;

  @Column({ name: 'rows_deleted', type: 'bigint', default: 0 })
  rowsDeleted!: number;

  /** Failed batches; the worker retries, and last_error says why the latest one failed. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'erasures_user_id_fkey' })
  user?: User;
}

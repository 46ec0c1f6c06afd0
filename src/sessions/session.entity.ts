import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DEACTIVATED_REASONS = ['session_limit', 'ended', 'user'] as const;
export type DeactivatedReason = (typeof DEACTIVATED_REASONS)[number];

/**
 * The schema's description for TypeORM. The service reads and writes sessions with explicit SQL (see
 * SessionsRepository) so that limits and counters stay inside single statements and transactions.
 */
@Entity('chat_sessions')
export class ChatSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ name: 'agent_type', type: 'varchar', length: 32 })
  agentType!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 100, nullable: true })
  projectId!: string | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'deactivated_reason', type: 'varchar', length: 16, nullable: true })
  deactivatedReason!: DeactivatedReason | null;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  @Column({ name: 'message_count', type: 'integer', default: 0 })
  messageCount!: number;

  @Column({ name: 'total_tokens', type: 'bigint', default: 0 })
  totalTokens!: number;

  @Column({ name: 'last_message_preview', type: 'varchar', length: 200, nullable: true })
  lastMessagePreview!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'last_message_at', type: 'timestamptz', precision: 3 })
  lastMessageAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt!: Date | null;
}

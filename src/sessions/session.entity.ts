import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../users/user.entity.js';

/** `imported`: stored by POST /users/me/import, which never makes a session active. */
export const DEACTIVATED_REASONS = ['session_limit', 'ended', 'user', 'imported'] as const;
export type DeactivatedReason = (typeof DEACTIVATED_REASONS)[number];

/** The table as the migrations make it (test/schema.e2e-spec.ts holds the two together). */
@Entity('chat_sessions')
@Index('chat_sessions_active_idx', ['userId', 'agentType', 'lastMessageAt', 'id'], { where: 'is_active AND deleted_at IS NULL' })
@Index('chat_sessions_user_last_message_at_idx', ['userId', 'lastMessageAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('chat_sessions_user_created_at_idx', ['userId', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('chat_sessions_user_updated_at_idx', ['userId', 'updatedAt', 'id'], { where: 'deleted_at IS NULL' })
// Retention's candidates (src/retention/retention.sql.ts), oldest first, across users.
@Index('chat_sessions_retention_deleted_idx', ['deletedAt', 'userId', 'id'], { where: 'deleted_at IS NOT NULL AND erased_at IS NULL' })
// The inactive ones lead with greatest(last_message_at, imported_at); TypeORM cannot state an expression, so the migration owns them.
@Index('chat_sessions_retention_inactive_idx', { synchronize: false })
@Index('chat_sessions_retention_anonymize_idx', { synchronize: false })
// Title search: GIN over (user_id, title gin_trgm_ops); TypeORM cannot state an operator class, so the migration owns it.
@Index('chat_sessions_user_title_trgm_idx', { synchronize: false })
// Metadata filters: GIN over (user_id, metadata jsonb_path_ops) on visible sessions with metadata (the migration owns it too).
@Index('chat_sessions_user_metadata_idx', { synchronize: false })
// The erasure of every erased session of a user (kind `sessions`) finds them here.
@Index('chat_sessions_user_erased_idx', ['userId', 'id'], { where: 'erased_at IS NOT NULL' })
@Check('chat_sessions_deactivated_reason_check', `deactivated_reason IN ('session_limit', 'ended', 'user', 'imported')`)
@Check('chat_sessions_active_reason_check', 'is_active = (deactivated_reason IS NULL)')
@Check('chat_sessions_deleted_inactive_check', 'deleted_at IS NULL OR NOT is_active')
@Check('chat_sessions_metadata_object_check', `jsonb_typeof(metadata) = 'object'`)
@Check('chat_sessions_counters_check', 'message_count >= 0 AND total_tokens >= 0')
@Check(
  'chat_sessions_role_counts_check',
  'user_message_count >= 0 AND assistant_message_count >= 0 AND system_message_count >= 0 AND tool_message_count >= 0 AND ' +
    'user_message_count + assistant_message_count + system_message_count + tool_message_count = message_count',
)
@Check(
  'chat_sessions_token_sums_check',
  'prompt_tokens >= 0 AND completion_tokens >= 0 AND prompt_tokens + completion_tokens = total_tokens',
)
@Check('chat_sessions_first_message_check', '(first_message_at IS NULL) = (message_count = 0)')
@Check('chat_sessions_history_floor_check', 'history_floor_seq >= 0 AND history_floor_seq <= last_seq')
@Check('chat_sessions_erased_deleted_check', 'erased_at IS NULL OR deleted_at IS NOT NULL')
@Check('chat_sessions_anonymized_seq_check', 'anonymized_seq >= 0 AND anonymized_seq <= last_seq')
export class ChatSession {
  /** Leads every key: the table is distributable by user (see KeysCarryTheUser1795306200000). */
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'chat_sessions_pkey' })
  userId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'chat_sessions_pkey' })
  id!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'chat_sessions_user_id_fkey' })
  user?: User;

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

  /**
   * The session's statistics, moved by the statements that append, delete and clear, so GET
   * /sessions/{id}/stats and a role-filtered history's total read this row instead of the messages. The
   * checks hold them to message_count and total_tokens.
   */
  @Column({ name: 'user_message_count', type: 'integer', default: 0 })
  userMessageCount!: number;

  @Column({ name: 'assistant_message_count', type: 'integer', default: 0 })
  assistantMessageCount!: number;

  @Column({ name: 'system_message_count', type: 'integer', default: 0 })
  systemMessageCount!: number;

  @Column({ name: 'tool_message_count', type: 'integer', default: 0 })
  toolMessageCount!: number;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: number;

  /** created_at of the oldest message in the history (lowest seq); null while it is empty. */
  @Column({ name: 'first_message_at', type: 'timestamptz', precision: 3, nullable: true })
  firstMessageAt!: Date | null;

  /** The last seq handed out; an append takes the next one while holding this row's lock. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq!: number;

  /** Messages with seq <= this were cleared: no read sees them, and the erasure worker deletes them. */
  @Column({ name: 'history_floor_seq', type: 'integer', default: 0 })
  historyFloorSeq!: number;

  @Column({ name: 'last_message_preview', type: 'varchar', length: 200, nullable: true })
  lastMessagePreview!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'last_message_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  lastMessageAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt!: Date | null;

  /** Deleted permanently: hidden like a soft-deleted session, never restored, erased in batches. */
  @Column({ name: 'erased_at', type: 'timestamptz', precision: 3, nullable: true })
  erasedAt!: Date | null;

  /** Retention anonymized the messages up to this seq (its progress, batch by batch). */
  @Column({ name: 'anonymized_seq', type: 'integer', default: 0 })
  anonymizedSeq!: number;

  /** Retention anonymized the whole session then; it is taken again only if it got messages since. */
  @Column({ name: 'anonymized_at', type: 'timestamptz', precision: 3, nullable: true })
  anonymizedAt!: Date | null;

  /**
   * When POST /users/me/import stored the session (null for every other): it keeps its original
   * last_message_at, and retention counts its inactivity from no earlier than this. Not exposed by the API.
   */
  @Column({ name: 'imported_at', type: 'timestamptz', precision: 3, nullable: true })
  importedAt!: Date | null;
}

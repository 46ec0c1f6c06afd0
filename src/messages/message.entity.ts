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
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { searchVectorExpression } from '../database/search-vector.js';
import { ChatSession } from '../sessions/session.entity.js';

export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** The table as the migrations make it (test/schema.e2e-spec.ts holds the two together). */
@Entity('chat_messages')
@Unique('chat_messages_session_seq_key', ['userId', 'sessionId', 'seq'])
@Index('chat_messages_user_search_idx', ['userId', 'sessionId', 'searchVector'], { type: 'gin' })
@Index('chat_messages_user_created_at_idx', ['userId', 'createdAt', 'id'])
@Index('chat_messages_user_session_role_seq_idx', ['userId', 'sessionId', 'role', 'seq'])
// Metadata filters of a history: GIN over (user_id, session_id, metadata jsonb_path_ops) where metadata is not
// empty; TypeORM cannot state an operator class, so the migration owns it.
@Index('chat_messages_user_metadata_idx', { synchronize: false })
@Check('chat_messages_role_check', `role IN ('user', 'assistant', 'system', 'tool')`)
@Check('chat_messages_tokens_check', 'prompt_tokens >= 0 AND completion_tokens >= 0')
@Check('chat_messages_seq_check', 'seq > 0')
@Check('chat_messages_metadata_object_check', `jsonb_typeof(metadata) = 'object'`)
export class ChatMessage {
  /** Leads every key: the table is distributable by user, co-located with its session. */
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'chat_messages_pkey' })
  userId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'chat_messages_pkey' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  /** (user_id, session_id): the session's own user, so the user needs no foreign key of its own here. */
  @ManyToOne(() => ChatSession, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn([
    { name: 'user_id', referencedColumnName: 'userId', foreignKeyConstraintName: 'chat_messages_session_fkey' },
    { name: 'session_id', referencedColumnName: 'id', foreignKeyConstraintName: 'chat_messages_session_fkey' },
  ])
  session?: ChatSession;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 16 })
  role!: MessageRole;

  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'agent_type', type: 'varchar', length: 32 })
  agentType!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  /** Maintained by PostgreSQL; read only by the search statement. */
  @Column({
    name: 'search_vector',
    type: 'tsvector',
    nullable: true,
    generatedType: 'STORED',
    asExpression: searchVectorExpression(),
    select: false,
    insert: false,
    update: false,
  })
  searchVector?: string;
}

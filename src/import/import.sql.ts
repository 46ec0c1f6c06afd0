import type { MessageRole } from '../messages/message.entity.js';
import { COUNTED_ROLES, ROLE_COUNTS } from '../sessions/role-counts.js';
import type { DeactivatedReason } from '../sessions/session.entity.js';

export interface ImportedMessage {
  id: string;
  seq: number;
  role: MessageRole;
  content: string;
  agentType: string;
  model: string | null;
  metadata: Record<string, unknown>;
  promptTokens: number | null;
  completionTokens: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A validated conversation: the session's kept fields and its messages in seq order. */
export interface ImportedConversation {
  id: string;
  title: string | null;
  agentType: string;
  projectId: string | null;
  metadata: Record<string, unknown>;
  deactivatedReason: DeactivatedReason;
  createdAt: string;
  updatedAt: string;
  lastMessageAt: string;
  lastMessagePreview: string | null;
  messages: ImportedMessage[];
}

/**
 * Stores one conversation in ONE statement, so it is stored whole or not at all: the session row, inactive,
 * with imported_at now (the row keeps its old last_message_at; retention's clock starts no earlier than
 * this), with every counter the append keeps (message and per-role counts, token sums, first_message_at,
 * last_seq) aggregated from the very arrays the message INSERT reads, so they cannot disagree with the messages (and
 * the table's CHECKs hold them to each other); then every message in one INSERT. A session id the account
 * already has inserts nothing (ON CONFLICT on the key (user_id, id); a concurrent import of it waits, then
 * sees it), and without a session no message is inserted: `sessions` is 0 and the conversation is skipped.
 * Usage tables are not touched: imported messages are no spending of this service and count toward no quota.
 */
export const IMPORT_CONVERSATION_SQL = `
  WITH m AS (
    SELECT * FROM unnest($12::uuid[], $13::int[], $14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[],
                         $19::int[], $20::int[], $21::timestamptz[], $22::timestamptz[])
             AS m(id, seq, role, content, agent_type, model, metadata, prompt_tokens, completion_tokens, created_at, updated_at)
  ), session AS (
    INSERT INTO chat_sessions (user_id, id, title, agent_type, project_id, is_active, deactivated_reason, metadata,
                               created_at, updated_at, last_message_at, last_message_preview, imported_at,
                               message_count, ${COUNTED_ROLES.map((role) => ROLE_COUNTS[role].column).join(', ')},
                               prompt_tokens, completion_tokens, total_tokens, first_message_at, last_seq)
    SELECT $1, $2, $3, $4, $5, false, $6, $7, $8, $9, $10, $11, now(),
           count(*), ${COUNTED_ROLES.map((role) => `count(*) FILTER (WHERE m.role = '${role}')`).join(', ')},
           coalesce(sum(m.prompt_tokens), 0), coalesce(sum(m.completion_tokens), 0),
           coalesce(sum(m.prompt_tokens), 0) + coalesce(sum(m.completion_tokens), 0),
           (array_agg(m.created_at ORDER BY m.seq))[1], coalesce(max(m.seq), 0)
      FROM m
    ON CONFLICT (user_id, id) DO NOTHING
    RETURNING id
  ), inserted AS (
    INSERT INTO chat_messages (user_id, id, session_id, seq, role, content, agent_type, model, metadata,
                               prompt_tokens, completion_tokens, created_at, updated_at)
    SELECT $1, m.id, session.id, m.seq, m.role, m.content, m.agent_type, m.model, m.metadata,
           m.prompt_tokens, m.completion_tokens, m.created_at, m.updated_at
      FROM session, m
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM session)::int AS sessions, (SELECT count(*) FROM inserted)::int AS messages`;

export function importConversationParams(userId: string, c: ImportedConversation): unknown[] {
  const column = <T>(value: (m: ImportedMessage) => T) => c.messages.map(value);
  return [
    userId,
    c.id,
    c.title,
    c.agentType,
    c.projectId,
    c.deactivatedReason,
    JSON.stringify(c.metadata),
    c.createdAt,
    c.updatedAt,
    c.lastMessageAt,
    c.lastMessagePreview,
    column((m) => m.id),
    column((m) => m.seq),
    column((m) => m.role),
    column((m) => m.content),
    column((m) => m.agentType),
    column((m) => m.model),
    column((m) => JSON.stringify(m.metadata)),
    column((m) => m.promptTokens),
    column((m) => m.completionTokens),
    column((m) => m.createdAt),
    column((m) => m.updatedAt),
  ];
}

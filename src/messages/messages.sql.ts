import type { Paging } from '../common/pagination/pagination.js';
import { usageUpsertCtes } from '../usage/usage.sql.js';
import type { MessageRole } from './message.entity.js';
import type { MessageRow } from './message-row.js';

/**
 * The hot-path SQL of the messages module, free of framework imports so the benchmark's raw baseline
 * server runs exactly the same statements.
 */
export const MESSAGE_COLUMNS =
  'id, session_id, seq, role, content, agent_type, model, metadata, prompt_tokens, completion_tokens, created_at, updated_at';

export interface NewMessage {
  role: MessageRole;
  content: string;
  agentType: string | null;
  model: string | null;
  metadata: Record<string, unknown>;
  promptTokens: number | null;
  completionTokens: number | null;
}

/**
 * Appends messages in ONE statement: the UPDATE of the session row takes its lock (serialising appends to
 * that session on every instance), hands out the next seq numbers and moves the counters; the INSERT
 * numbers the new rows from there; the usage CTEs account for them (detail and rollups). All of it commits or none of it does.
 * A session that is missing, foreign, deleted or inactive matches nothing, and nothing is written.
 * Options: `unlessUserHasLimits` also writes nothing for a user who has quota limits of their own (the
 * caller then takes the quota path, a transaction under the user's quota lock); `evenIfInactive` accepts
 * an inactive session, for a model reply whose session was retired while the model was answering.
 *
 * It returns the stored rows, or, when nothing was stored, one row whose `not_stored` says why (see
 * NotStoredReason), so the caller needs no second round trip to answer 404, 409 or take the quota path.
 * The reason is read from the statement's snapshot: if the session was deactivated or deleted by a
 * transaction that committed while this one waited for the row lock, the snapshot still shows it usable,
 * and the reason given is 'inactive'.
 */
export const APPEND_SQL = `
  WITH session AS (
    UPDATE chat_sessions
       SET last_seq = last_seq + $3,
           message_count = message_count + $3,
           total_tokens = total_tokens + $4,
           last_message_at = greatest(last_message_at, now()),
           last_message_preview = left($5, 200),
           updated_at = now()
     WHERE id = $1 AND user_id = $2 AND (is_active OR $14::boolean) AND deleted_at IS NULL
       AND NOT ($13::boolean AND EXISTS (
             SELECT 1 FROM users WHERE id = $2 AND (daily_token_limit IS NOT NULL OR daily_message_limit IS NOT NULL)))
     RETURNING id, last_seq - $3 AS base_seq, agent_type
  ), inserted AS (
    INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type, model, metadata, prompt_tokens, completion_tokens)
    SELECT session.id, $2, session.base_seq + m.ord, m.role, m.content, coalesce(m.agent_type, session.agent_type),
           m.model, m.metadata, m.prompt_tokens, m.completion_tokens
      FROM session,
           unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::int[], $12::int[])
             WITH ORDINALITY AS m(role, content, agent_type, model, metadata, prompt_tokens, completion_tokens, ord)
    RETURNING ${MESSAGE_COLUMNS}
  ), ${usageUpsertCtes('inserted', '$2')}
  SELECT inserted.*,
         CASE WHEN inserted.id IS NULL THEN coalesce((
           SELECT CASE WHEN $13::boolean AND s.is_active AND EXISTS (
                         SELECT 1 FROM users WHERE id = $2 AND (daily_token_limit IS NOT NULL OR daily_message_limit IS NOT NULL))
                       THEN 'quota_path' ELSE 'inactive' END
             FROM chat_sessions s WHERE s.id = $1 AND s.user_id = $2 AND s.deleted_at IS NULL), 'missing') END AS not_stored
    FROM (SELECT) AS one LEFT JOIN inserted ON true`;

/** Why an append stored nothing: no such session of this user, an inactive one, or a user with quota limits. */
export type NotStoredReason = 'missing' | 'inactive' | 'quota_path';

export interface AppendOptions {
  unlessUserHasLimits?: boolean;
  evenIfInactive?: boolean;
}

export function appendParams(userId: string, sessionId: string, messages: NewMessage[], options: AppendOptions = {}): unknown[] {
  const tokens = messages.reduce((sum, m) => sum + (m.promptTokens ?? 0) + (m.completionTokens ?? 0), 0);
  return [
    sessionId,
    userId,
    messages.length,
    tokens,
    messages.at(-1)!.content,
    messages.map((m) => m.role),
    messages.map((m) => m.content),
    messages.map((m) => m.agentType),
    messages.map((m) => m.model),
    messages.map((m) => JSON.stringify(m.metadata)),
    messages.map((m) => m.promptTokens),
    messages.map((m) => m.completionTokens),
    options.unlessUserHasLimits ?? false,
    options.evenIfInactive ?? false,
  ];
}

/**
 * "Messages of session $1, which belongs to user $2". Ownership is checked once, on the session row: written
 * as `user_id = $2` on the messages, PostgreSQL would take the two conditions as independent, expect a few
 * hundred rows instead of the whole session, and sort the session instead of walking the (session_id, seq)
 * index.
 */
export const OF_OWNED_SESSION = 'session_id = $1 AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = $1 AND s.user_id = $2)';

/**
 * One page of a session's history and the session's message count, in ONE statement (one round trip on one
 * connection): no row means no such session of this user; a single row with a null `id` is an empty page.
 * The page is a LATERAL keyset on the (session_id, seq) unique index in cursor mode, so a page at any depth
 * is an index range scan of page_size + 1 rows; offset only in page mode. Ownership is the session row's
 * user_id (see OF_OWNED_SESSION for why it is not repeated on the messages).
 */
export function historyPageQuery(
  userId: string,
  sessionId: string,
  role: MessageRole | undefined,
  order: 'asc' | 'desc',
  paging: Paging<[number]>,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [sessionId, userId];
  const where = ['m.session_id = s.id'];
  if (role) where.push(`m.role = $${params.push(role)}`);
  if (paging.mode === 'cursor') where.push(`m.seq ${order === 'asc' ? '>' : '<'} $${params.push(paging.after[0])}`);
  const limit = `LIMIT $${params.push(paging.size + 1)}`;
  const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
  return {
    sql: `SELECT s.message_count AS session_message_count, page.*
            FROM chat_sessions s
            LEFT JOIN LATERAL (
              SELECT ${MESSAGE_COLUMNS} FROM chat_messages m WHERE ${where.join(' AND ')} ORDER BY m.seq ${order} ${limit} ${offset}
            ) page ON true
           WHERE s.id = $1 AND s.user_id = $2 AND s.deleted_at IS NULL`,
    params,
  };
}

/** The rows of historyPageQuery: null when there is no such session, else its message count and the page. */
export function historyPageRows(
  rows: (MessageRow & { session_message_count: number })[],
): { messageCount: number; rows: MessageRow[] } | null {
  if (rows.length === 0) return null;
  const page = rows.filter((row) => row.id !== null).map(({ session_message_count: _, ...row }) => row);
  return { messageCount: rows[0].session_message_count, rows: page };
}

import type { Paging } from '../common/pagination/pagination.js';
import { ROLE_COUNTS } from '../sessions/role-counts.js';
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
 * that session on every instance), hands out the next seq numbers and moves the counters (message count,
 * per-role counts from the very role array the INSERT reads, token sums, first_message_at); the INSERT
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
           user_message_count = user_message_count + cardinality(array_positions($6::text[], 'user')),
           assistant_message_count = assistant_message_count + cardinality(array_positions($6::text[], 'assistant')),
           system_message_count = system_message_count + cardinality(array_positions($6::text[], 'system')),
           tool_message_count = tool_message_count + cardinality(array_positions($6::text[], 'tool')),
           prompt_tokens = prompt_tokens + $4,
           completion_tokens = completion_tokens + $15,
           total_tokens = total_tokens + $4 + $15,
           first_message_at = coalesce(first_message_at, now()),
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
  const sum = (tokens: (m: NewMessage) => number | null) => messages.reduce((total, m) => total + (tokens(m) ?? 0), 0);
  return [
    sessionId,
    userId,
    messages.length,
    sum((m) => m.promptTokens),
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
    sum((m) => m.completionTokens),
  ];
}

/**
 * "Visible messages of session $1 of user $2": both leading columns of the (user_id, session_id, seq) key, so
 * the statement reaches one user's rows (one shard) and walks the index in seq order. The composite foreign
 * key guarantees such rows belong to that user's session; the extended statistics
 * chat_messages_session_user_stats tell the planner the two conditions are not independent. The subquery
 * applies the history floor (no such session: NULL, no rows).
 */
export const OF_OWNED_SESSION =
  'user_id = $2 AND session_id = $1 AND seq > (SELECT s.history_floor_seq FROM chat_sessions s WHERE s.user_id = $2 AND s.id = $1)';

/**
 * The one visibility rule for a message `m` of a session `s` joined to it: a cleared history (seq at or
 * below the session's floor) is invisible to every read until the erasure worker has deleted it.
 */
export const ABOVE_HISTORY_FLOOR = 'm.seq > s.history_floor_seq';

/**
 * One page of a session's history and its total, in ONE statement (one round trip on one connection): no
 * row means no such session of this user; a single row with a null `id` is an empty page. The total is a
 * counter on the session row: message_count, or the role's count when filtered by role. The page is a
 * LATERAL keyset on an index in cursor mode, so a page at any depth is an index range scan of page_size + 1
 * rows: (user_id, session_id, seq) unfiltered, (user_id, session_id, role, seq) by role. Offset only in page mode,
 * which is O(depth) and bounded by HISTORY_MAX_PAGE_DEPTH.
 */
export function historyPageQuery(
  userId: string,
  sessionId: string,
  role: MessageRole | undefined,
  order: 'asc' | 'desc',
  paging: Paging<[number]>,
  metadata?: Record<string, unknown>,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [sessionId, userId];
  // The ids as values, not s.id: the planner then sizes this session from its statistics (a big one is a
  // most common value) and walks the index for an offset, where for "the average session" it would sort.
  const where = ['m.user_id = $2', 'm.session_id = $1'];
  if (role) where.push(`m.role = $${params.push(role)}`);
  if (metadata) where.push(metadataContains('m.metadata', `$${params.push(JSON.stringify(metadata))}`));
  // The history floor and the cursor make one bound on seq, never two: for a range between two values it
  // cannot see, the planner guesses 0.5% of the rows, expects the LIMIT never to fill, and reads every row
  // of a rare role through a bitmap instead of walking the index. Descending, the floor is a filter.
  const cursor = paging.mode === 'cursor' ? `$${params.push(paging.after[0])}` : null;
  if (order === 'asc') where.push(`m.seq > ${cursor ? `greatest(${cursor}, s.history_floor_seq)` : 's.history_floor_seq'}`);
  else if (cursor) where.push(`m.seq < ${cursor}`, 'm.seq - s.history_floor_seq > 0');
  else where.push(ABOVE_HISTORY_FLOOR);
  const limit = `LIMIT $${params.push(paging.size + 1)}`;
  const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
  return {
    sql: `SELECT s.${role ? ROLE_COUNTS[role].column : 'message_count'} AS page_total, page.*
            FROM chat_sessions s
            LEFT JOIN LATERAL (
              SELECT ${MESSAGE_COLUMNS} FROM chat_messages m WHERE ${where.join(' AND ')} ORDER BY m.seq ${order} ${limit} ${offset}
            ) page ON true
           WHERE s.id = $1 AND s.user_id = $2 AND s.deleted_at IS NULL`,
    params,
  };
}

/**
 * JSON containment of a non-empty filter. `<> '{}'` follows from it; said, it lets the planner use
 * chat_messages_user_metadata_idx, which leaves empty metadata out.
 */
export const metadataContains = (column: string, param: string) => `${column} @> ${param}::jsonb AND ${column} <> '{}'::jsonb`;

/** The rows of historyPageQuery: null when there is no such session, else the history's total and the page. */
export function historyPageRows(rows: (MessageRow & { page_total: number })[]): { total: number; rows: MessageRow[] } | null {
  if (rows.length === 0) return null;
  const page = rows.filter((row) => row.id !== null).map(({ page_total: _, ...row }) => row);
  return { total: rows[0].page_total, rows: page };
}

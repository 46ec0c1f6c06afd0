import { MESSAGE_COLUMNS } from '../messages/messages.sql.js';
import { SESSION_COLUMNS } from '../sessions/sessions.repository.js';

/**
 * The export's statements. Each reads one bounded batch on an index, as its own short statement (no
 * transaction spans batches, so a slow client holds no connection while it reads), and each reads through
 * the account's row: no row at all means the account was erased since the export began, and the export
 * stops there instead of sending what every other read already hides. An empty batch is one row of nulls.
 */
function ofLiveAccount(batch: string, order: string): string {
  return `SELECT batch.* FROM users u LEFT JOIN LATERAL (${batch}) batch ON true
           WHERE u.id = $1 AND u.deleted_at IS NULL ORDER BY ${order}`;
}

/** The first key of every keyset walk: before any row. */
export const BEFORE_ALL_SESSIONS: SessionKey = ['-infinity', '00000000-0000-0000-0000-000000000000'];
export const BEFORE_ALL_USAGE: UsageKey = ['-infinity', '', ''];

export type SessionKey = [createdAt: Date | string, id: string];
export type UsageKey = [day: string, agentType: string, model: string];

/**
 * Visible sessions after `$2, $3` in (created_at, id) order, with last_seq (not exported: it bounds the
 * session's messages to those that existed when its line was read). Index: chat_sessions_user_created_at_idx
 * (user_id, created_at, id) WHERE deleted_at IS NULL, a range scan of $4 rows at any depth.
 */
export const SESSIONS_SQL = ofLiveAccount(
  `SELECT ${SESSION_COLUMNS.map((c) => `s.${c}`).join(', ')}, s.last_seq
     FROM chat_sessions s
    WHERE s.user_id = $1 AND s.deleted_at IS NULL AND (s.created_at, s.id) > ($2::timestamptz, $3::uuid)
    ORDER BY s.created_at, s.id
    LIMIT $4`,
  'batch.created_at, batch.id',
);

/**
 * The visible messages of several sessions at once ($2 ids, each after seq $3 and up to seq $4), at most $5
 * per session, in (session position, seq) order. Each session is an index range scan of
 * chat_messages_session_seq_key (user_id, session_id, seq) above the session's history floor, read at this
 * statement, so a history cleared meanwhile is not sent; a session deleted meanwhile has no rows.
 */
export const MESSAGES_SQL = ofLiveAccount(
  `SELECT b.ord, m.*
     FROM unnest($2::uuid[], $3::int[], $4::int[]) WITH ORDINALITY AS b(session_id, after_seq, upto_seq, ord)
     JOIN chat_sessions s ON s.user_id = $1 AND s.id = b.session_id AND s.deleted_at IS NULL
    CROSS JOIN LATERAL (
      SELECT ${MESSAGE_COLUMNS} FROM chat_messages
       WHERE user_id = $1 AND session_id = b.session_id
         AND seq > greatest(b.after_seq, s.history_floor_seq) AND seq <= b.upto_seq
       ORDER BY seq
       LIMIT $5) m`,
  'batch.ord, batch.seq',
);

/**
 * The per-day rollup after ($2, $3, $4) in (day, agent_type, model) order: its primary key,
 * usage_daily_totals_pkey (user_id, day, agent_type, model). The table stores '' for "no model"; the line
 * says null, as GET /usage?group_by=model does.
 */
export const USAGE_SQL = ofLiveAccount(
  `SELECT to_char(t.day, 'YYYY-MM-DD') AS date, t.agent_type, t.model AS model_key, nullif(t.model, '') AS model,
          t.prompt_tokens, t.completion_tokens, t.prompt_tokens + t.completion_tokens AS total_tokens, t.messages
     FROM usage_daily_totals t
    WHERE t.user_id = $1 AND (t.day, t.agent_type, t.model) > ($2::date, $3::varchar, $4::varchar)
    ORDER BY t.day, t.agent_type, t.model -- the columns: a bare "model" would be the output's nullif(), nulls last
    LIMIT $5`,
  'batch.date, batch.agent_type, batch.model_key',
);

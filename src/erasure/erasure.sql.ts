import type { ErasureKind } from './erasure.entity.js';

/**
 * The statements the erasure worker runs, one batch each. Every one is scoped by user_id (outer statement
 * and subquery alike) and deletes at most $batch rows picked through an index that leads with the user (or
 * the session), so a batch costs what its size costs, whatever the total.
 */
export interface ErasureTarget {
  user_id: string;
  id: string;
  kind: ErasureKind;
  session_id: string | null;
  floor_seq: number | null;
}

/** One step: a DELETE of at most $batch rows; its parameters come from the target. */
interface Step {
  sql: string;
  params: (target: ErasureTarget, batch: number) => unknown[];
}

/**
 * The batch is picked by ctid into an array (an InitPlan), so the DELETE itself is a TID scan of exactly
 * those rows; written as `id IN (subquery)` PostgreSQL may hash-join the user's whole table on every batch.
 * Both levels say user_id, so a database sharded by user routes the statement to one shard.
 */
const batchOf = (table: string, where: string): string =>
  `DELETE FROM ${table} WHERE user_id = $1 AND ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE user_id = $1 ${where} LIMIT $2))`;

const byUser = (table: string): Step => ({ sql: batchOf(table, ''), params: (t, batch) => [t.user_id, batch] });

const sessionMessages: Step = {
  sql: batchOf('chat_messages', 'AND session_id = $3 AND seq <= $4'),
  params: (t, batch) => [t.user_id, batch, t.session_id, t.floor_seq ?? 2_147_483_647],
};

/**
 * Kind `sessions`: every erased session of the user that has no erasure of its own, taken in id order
 * through chat_sessions_user_erased_idx, at most $2 at a time. A batch deletes up to $2 messages of that
 * window; once the window's sessions are empty, the next batch deletes their rows. Either way a batch probes
 * at most $2 sessions and touches at most $2 rows, whether the user had ten sessions or a million.
 */
const ERASED_WINDOW = `SELECT s.id, s.ctid AS row_ctid FROM chat_sessions s
   WHERE s.user_id = $1 AND s.erased_at IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.user_id = $1 AND e.session_id = s.id)
   ORDER BY s.id LIMIT $2`;

const erasedSessionsMessages: Step = {
  sql: `DELETE FROM chat_messages WHERE user_id = $1 AND ctid = ANY(ARRAY(
          SELECT m.ctid FROM (${ERASED_WINDOW}) w
           CROSS JOIN LATERAL (SELECT ctid FROM chat_messages WHERE user_id = $1 AND session_id = w.id LIMIT $2) m
           LIMIT $2))`,
  params: (t, batch) => [t.user_id, batch],
};

const emptiedErasedSessions: Step = {
  sql: `DELETE FROM chat_sessions WHERE user_id = $1 AND ctid = ANY(ARRAY(
          SELECT w.row_ctid FROM (${ERASED_WINDOW}) w
           WHERE NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.user_id = $1 AND m.session_id = w.id)))`,
  params: (t, batch) => [t.user_id, batch],
};

/** In order: children before their parents, so the last statement (`finish`) never cascades far. */
export const ERASURE_STEPS: Record<ErasureKind, Step[]> = {
  user: [
    byUser('chat_messages'),
    byUser('chat_sessions'),
    byUser('usage_daily'),
    byUser('usage_daily_totals'),
    byUser('usage_periods'),
    byUser('refresh_tokens'),
    byUser('model_call_reservations'),
  ],
  session: [sessionMessages],
  history: [sessionMessages],
  sessions: [erasedSessionsMessages, emptiedErasedSessions],
};

/**
 * The last statement of an erasure, once its steps find nothing: it removes the row that hid the data and
 * the erasure itself. The users row cascades to whatever a request racing the erasure still wrote, and to
 * the erasures row.
 */
export const ERASURE_FINISH: Record<ErasureKind, Step[]> = {
  user: [{ sql: 'DELETE FROM users WHERE id = $1 AND deleted_at IS NOT NULL', params: (t) => [t.user_id] }],
  session: [
    {
      sql: 'DELETE FROM chat_sessions WHERE user_id = $1 AND id = $2 AND erased_at IS NOT NULL',
      params: (t) => [t.user_id, t.session_id],
    },
    { sql: 'DELETE FROM erasures WHERE user_id = $1 AND id = $2', params: (t) => [t.user_id, t.id] },
  ],
  history: [{ sql: 'DELETE FROM erasures WHERE user_id = $1 AND id = $2', params: (t) => [t.user_id, t.id] }],
  sessions: [{ sql: 'DELETE FROM erasures WHERE user_id = $1 AND id = $2', params: (t) => [t.user_id, t.id] }],
};

/**
 * Takes the next erasure no other worker holds. SKIP LOCKED: two instances never work on the same erasure,
 * and a worker that dies mid-batch loses its lock with its connection, so the erasure is simply taken again.
 * Erasures that failed go after the others, so one that keeps failing does not hold up the rest.
 */
export const CLAIM_SQL = `
  SELECT user_id, id, kind, session_id, floor_seq FROM erasures
   WHERE $1::uuid[] IS NULL OR user_id = ANY($1::uuid[])
   ORDER BY attempts, created_at, id
   LIMIT 1
     FOR UPDATE SKIP LOCKED`;

/** Waits until no other worker holds one of these users' erasures (a lock wait, no polling). */
export const WAIT_FOR_USERS_SQL = `SELECT 1 FROM erasures WHERE user_id = ANY($1::uuid[]) FOR UPDATE`;

export const PROGRESS_SQL = `UPDATE erasures SET rows_deleted = rows_deleted + $3, updated_at = now() WHERE user_id = $1 AND id = $2`;

export const FAILED_SQL = `UPDATE erasures SET attempts = attempts + 1, last_error = $3, updated_at = now() WHERE user_id = $1 AND id = $2`;

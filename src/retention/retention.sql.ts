/**
 * The statements of the retention job. Unlike a request's, they read across users: each picks the oldest
 * candidates through a partial index ordered by the date it compares to its cutoff (named below), so a
 * batch costs its size, whatever the number of sessions. The candidate predicates are written once and
 * used by the batches and the dry run alike, so a dry run counts exactly what a run would take.
 * `$n::uuid[] IS NULL OR user_id = ANY(…)` limits a run to some users (tests, tools); NULL means all.
 */
export const RETENTION_ACTIONS = ['purge', 'delete', 'anonymize'] as const;
export type RetentionAction = (typeof RETENTION_ACTIONS)[number];

/** What anonymized messages say instead of their content. Only punctuation: its search vector is empty. */
export const ANONYMIZED_CONTENT = '[…]';

/**
 * When an inactive session's retention period starts: its last message, or its import if later (an
 * imported session keeps its original last_message_at). greatest() skips the null imported_at of every
 * other session. The inactive indexes are on this very expression (AllowImportedSessions1795307200000): the
 * planner matches it only as written there.
 */
export const INACTIVE_SINCE = 'greatest(last_message_at, imported_at)';

interface Candidates {
  where: string;
  /** The date the cutoff applies to; the index leads with it. */
  date: 'deleted_at' | typeof INACTIVE_SINCE;
  index: string;
}

export const CANDIDATES: Record<RetentionAction, Candidates> = {
  // Soft-deleted, not yet erased, deleted before the cutoff.
  purge: { where: 'deleted_at IS NOT NULL AND erased_at IS NULL', date: 'deleted_at', index: 'chat_sessions_retention_deleted_idx' },
  // Inactive, not deleted, last message (or import) before the cutoff.
  delete: { where: 'NOT is_active AND deleted_at IS NULL', date: INACTIVE_SINCE, index: 'chat_sessions_retention_inactive_idx' },
  // The same, unless anonymized already and without messages since.
  anonymize: {
    where: 'NOT is_active AND deleted_at IS NULL AND (anonymized_at IS NULL OR anonymized_seq < last_seq)',
    date: INACTIVE_SINCE,
    index: 'chat_sessions_retention_anonymize_idx',
  },
};

const scoped = (param: number) => `($${param}::uuid[] IS NULL OR user_id = ANY($${param}::uuid[]))`;

/** $1 cutoff, $2 scope: how many sessions, holding how many messages, and the oldest date. */
export const countSql = ({ where, date }: Candidates) =>
  `SELECT count(*)::int AS sessions, coalesce(sum(message_count), 0)::int8 AS messages, min(${date}) AS oldest
     FROM chat_sessions WHERE ${where} AND ${date} < $1 AND ${scoped(2)}`;

/**
 * $1 cutoff, $2 batch size, $3 scope: marks up to $2 of the oldest candidates erased (and deleted, if they
 * were not) and returns them, for their erasures to be queued in the same transaction. SKIP LOCKED: a
 * session a request holds right now (a restore, say) waits for the next run.
 */
export const eraseBatchSql = ({ where, date }: Candidates) => `
  WITH picked AS (
    SELECT user_id, id FROM chat_sessions
     WHERE ${where} AND ${date} < $1 AND ${scoped(3)}
     ORDER BY ${date} LIMIT $2
       FOR UPDATE SKIP LOCKED)
  UPDATE chat_sessions s SET deleted_at = COALESCE(s.deleted_at, now()), erased_at = now()
    FROM picked WHERE s.user_id = picked.user_id AND s.id = picked.id
  RETURNING s.user_id AS "userId", s.id AS "sessionId"`;

/**
 * $1 cutoff, $2 scope: the oldest session to anonymize, locked, with the seq range left to do: from the
 * job's progress or the history floor (cleared messages are on their way out), to the last seq.
 */
export const CLAIM_ANONYMIZE_SQL = `
  SELECT user_id, id, greatest(anonymized_seq, history_floor_seq) AS from_seq, last_seq
    FROM chat_sessions
   WHERE ${CANDIDATES.anonymize.where} AND ${INACTIVE_SINCE} < $1 AND ${scoped(2)}
   ORDER BY ${INACTIVE_SINCE} LIMIT 1
     FOR NO KEY UPDATE SKIP LOCKED`;

/**
 * $1 user, $2 session, $3 seq done, $4 budget, $5 last seq: the seq up to which the next $4 messages go, by
 * rows on the unique (user_id, session_id, seq) key, not by seq numbers (seq may have gaps: deleted
 * messages, imports), so a batch does about $4 rows of work whatever the numbering.
 */
export const ANONYMIZE_UPTO_SQL = `
  SELECT coalesce(
    (SELECT seq FROM chat_messages WHERE user_id = $1 AND session_id = $2 AND seq > $3 ORDER BY seq OFFSET $4::int - 1 LIMIT 1),
    $5::int) AS upto`;

/** $1 user, $2 session, ($3, $4] seq range, $5 marker: the unique (user_id, session_id, seq) key's range. */
export const ANONYMIZE_MESSAGES_SQL = `
  UPDATE chat_messages SET content = $5, metadata = '{}'::jsonb, updated_at = now()
   WHERE user_id = $1 AND session_id = $2 AND seq > $3 AND seq <= $4`;

/**
 * $1 user, $2 session, $3 seq reached. Title, metadata and preview go with the first batch; the mark is
 * set when the last seq is reached. Counters, usage and the rows themselves stay.
 */
export const ANONYMIZE_SESSION_SQL = `
  UPDATE chat_sessions
     SET title = NULL, metadata = '{}'::jsonb, last_message_preview = NULL, anonymized_seq = $3::int, updated_at = now(),
         anonymized_at = CASE WHEN $3::int = last_seq THEN now() ELSE anonymized_at END
   WHERE user_id = $1 AND id = $2`;

/** $1 cleanup days, $2 inactive days (null: none), by the database's clock, once per run. */
export const CUTOFFS_SQL = `SELECT now() - make_interval(days => $1::int) AS purge, now() - make_interval(days => $2::int) AS inactive`;

/** $1 job, $2 holder, $3 ttl ms: takes the lease if it is free or has expired; a row back means held. */
export const ACQUIRE_LEASE_SQL = `
  INSERT INTO job_leases (name, holder, acquired_at, expires_at)
  VALUES ($1, $2, now(), now() + $3::int * interval '1 millisecond')
  ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
   WHERE job_leases.expires_at <= now()
  RETURNING holder`;

/** Renewed first in every batch's transaction: a batch commits only while its instance holds the lease. */
export const RENEW_LEASE_SQL = `UPDATE job_leases SET expires_at = now() + $3::int * interval '1 millisecond' WHERE name = $1 AND holder = $2`;

export const RELEASE_LEASE_SQL = `UPDATE job_leases SET expires_at = now() WHERE name = $1 AND holder = $2`;

export const LEASE_HOLDER_SQL = `SELECT holder FROM job_leases WHERE name = $1 AND expires_at > now()`;

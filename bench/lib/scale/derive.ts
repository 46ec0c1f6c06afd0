import type pg from 'pg';

/**
 * ===================================================================================================
 * DERIVED DATA: the one place where the scale loader computes what the service itself would have written
 * while appending the base rows (users, sessions, messages) one request at a time.
 *
 * The loader writes only base rows: users, chat_sessions with their identity (title, agent type, activity,
 * created_at) and chat_messages (seq numbered 1..n per session, in time order; search_vector is a generated
 * column). Every column and table that the service derives from messages is computed HERE, from those base
 * rows, by the statements below, run in order for the users whose rows changed ($1 = their ids).
 *
 * To extend after a merge (per-role counters, first_message_at, usage rollups, …): add one statement to
 * DERIVED_DATA, written as a set-based derivation from chat_messages (UPDATE … FROM (SELECT … GROUP BY) or
 * DELETE + INSERT … SELECT … GROUP BY), filtered by `user_id = ANY($1::uuid[])`. The checks in
 * DERIVED_DATA_CHECKS then compare the result with the base rows after every step.
 * ===================================================================================================
 */
/** usage_daily's rows as the append's usage CTE makes them, from the messages of the users $1. */
const USAGE_OF_MESSAGES = `
  SELECT user_id, (created_at AT TIME ZONE 'UTC')::date AS day, agent_type, coalesce(model, '') AS model, session_id,
         sum(coalesce(prompt_tokens, 0))::bigint AS prompt_tokens, sum(coalesce(completion_tokens, 0))::bigint AS completion_tokens,
         count(*)::int AS messages, (count(*) FILTER (WHERE role = 'user'))::int AS user_messages
    FROM chat_messages WHERE user_id = ANY($1::uuid[])
   GROUP BY user_id, (created_at AT TIME ZONE 'UTC')::date, agent_type, coalesce(model, ''), session_id`;

export const DERIVED_DATA: { name: string; sql: string }[] = [
  {
    // The append's UPDATE of the session row: last_seq and message_count move by the appended count, the
    // role's count by one each, prompt/completion/total tokens by their sums, first_message_at to the first
    // append's now(), last_message_at to the latest, last_message_preview to the last message's first 200
    // characters, updated_at to now().
    name: 'chat_sessions counters',
    sql: `
      UPDATE chat_sessions s
         SET message_count = d.messages, last_seq = d.last_seq, total_tokens = d.prompt + d.completion,
             user_message_count = d.users, assistant_message_count = d.assistants,
             system_message_count = d.systems, tool_message_count = d.tools,
             prompt_tokens = d.prompt, completion_tokens = d.completion, first_message_at = d.first_at,
             last_message_at = greatest(s.created_at, d.last_at), updated_at = greatest(s.created_at, d.last_at),
             last_message_preview = left(p.content, 200)
        FROM (SELECT user_id, session_id, count(*)::int AS messages, max(seq) AS last_seq,
                     min(created_at) AS first_at, max(created_at) AS last_at,
                     (count(*) FILTER (WHERE role = 'user'))::int AS users,
                     (count(*) FILTER (WHERE role = 'assistant'))::int AS assistants,
                     (count(*) FILTER (WHERE role = 'system'))::int AS systems,
                     (count(*) FILTER (WHERE role = 'tool'))::int AS tools,
                     sum(coalesce(prompt_tokens, 0))::bigint AS prompt, sum(coalesce(completion_tokens, 0))::bigint AS completion
                FROM chat_messages WHERE user_id = ANY($1::uuid[]) GROUP BY user_id, session_id) d
        JOIN chat_messages p ON p.user_id = d.user_id AND p.session_id = d.session_id AND p.seq = d.last_seq
       WHERE s.user_id = d.user_id AND s.id = d.session_id
         AND (s.message_count, s.last_seq, s.total_tokens, s.last_message_at, s.last_message_preview, s.first_message_at)
             IS DISTINCT FROM (d.messages, d.last_seq, d.prompt + d.completion, greatest(s.created_at, d.last_at),
                               left(p.content, 200), d.first_at)`,
  },
  {
    // The append's usage CTE: one row per (user, UTC day of the append, agent type, model or '', session).
    name: 'usage_daily (delete)',
    sql: `DELETE FROM usage_daily WHERE user_id = ANY($1::uuid[])`,
  },
  {
    name: 'usage_daily (insert)',
    sql: `
      INSERT INTO usage_daily (user_id, day, agent_type, model, session_id, prompt_tokens, completion_tokens, messages, user_messages)
      ${USAGE_OF_MESSAGES}`,
  },
  {
    // The append's rollup CTEs: the same counts per (user, day, agent type, model), and per aligned block
    // of 1, 2, 8 and 32 days (as the CreateUsageRollups migration backfills them).
    name: 'usage rollups (delete)',
    sql: `WITH totals AS (DELETE FROM usage_daily_totals WHERE user_id = ANY($1::uuid[]))
          DELETE FROM usage_periods WHERE user_id = ANY($1::uuid[])`,
  },
  {
    name: 'usage_daily_totals (insert)',
    sql: `
      INSERT INTO usage_daily_totals (user_id, day, agent_type, model, prompt_tokens, completion_tokens, messages, user_messages)
      SELECT user_id, day, agent_type, model, sum(prompt_tokens), sum(completion_tokens), sum(messages), sum(user_messages)
        FROM usage_daily WHERE user_id = ANY($1::uuid[]) GROUP BY user_id, day, agent_type, model`,
  },
  {
    name: 'usage_periods (insert)',
    sql: `
      INSERT INTO usage_periods (user_id, span_days, start_day, prompt_tokens, completion_tokens, messages)
      SELECT t.user_id, span.days, DATE '1970-01-01' + (t.day - DATE '1970-01-01') / span.days * span.days,
             sum(t.prompt_tokens), sum(t.completion_tokens), sum(t.messages)
        FROM usage_daily_totals t CROSS JOIN (VALUES (1::smallint), (2::smallint), (8::smallint), (32::smallint)) AS span(days)
       WHERE t.user_id = ANY($1::uuid[])
       GROUP BY 1, 2, 3`,
  },
];

/** Each returns the number of violations among the users $1; extend beside DERIVED_DATA. */
export const DERIVED_DATA_CHECKS: { what: string; sql: string }[] = [
  {
    what: 'sessions whose counters differ from their messages (or whose seq is not 1..n)',
    sql: `
      SELECT count(*)::int AS n FROM chat_sessions s
        LEFT JOIN (SELECT session_id, count(*) AS c, max(seq) AS hi, min(seq) AS lo,
                          sum(coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)) AS t
                     FROM chat_messages WHERE user_id = ANY($1::uuid[]) GROUP BY session_id) x ON x.session_id = s.id
       WHERE s.user_id = ANY($1::uuid[])
         AND (s.message_count <> coalesce(x.c, 0) OR s.last_seq <> coalesce(x.hi, 0) OR coalesce(x.lo, 1) <> 1
              OR s.total_tokens <> coalesce(x.t, 0))`,
  },
  {
    what: 'usage_daily rows that differ from the messages (either way)',
    sql: `
      WITH usage AS (
        SELECT user_id, day, agent_type, model, session_id, prompt_tokens, completion_tokens, messages, user_messages
          FROM usage_daily WHERE user_id = ANY($1::uuid[])
      ), derived AS (${USAGE_OF_MESSAGES})
      SELECT count(*)::int AS n FROM ((TABLE usage EXCEPT TABLE derived) UNION ALL (TABLE derived EXCEPT TABLE usage)) x`,
  },
  {
    what: 'users whose usage_daily totals differ from their messages',
    sql: `
      SELECT count(*)::int AS n FROM
        (SELECT user_id, count(*) AS c, count(*) FILTER (WHERE role = 'user') AS u,
                sum(coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)) AS t
           FROM chat_messages WHERE user_id = ANY($1::uuid[]) GROUP BY user_id) m
        FULL JOIN (SELECT user_id, sum(messages) AS c, sum(user_messages) AS u, sum(prompt_tokens + completion_tokens) AS t
                     FROM usage_daily WHERE user_id = ANY($1::uuid[]) GROUP BY user_id) d USING (user_id)
       WHERE (m.c, m.u, m.t) IS DISTINCT FROM (d.c, d.u, d.t)`,
  },
  {
    what: 'users whose usage rollups differ from usage_daily',
    sql: `
      SELECT count(*)::int AS n FROM
        (SELECT user_id, sum(messages) AS c, sum(prompt_tokens + completion_tokens) AS t
           FROM usage_daily WHERE user_id = ANY($1::uuid[]) GROUP BY user_id) d
        FULL JOIN (SELECT user_id, sum(messages) AS c, sum(prompt_tokens + completion_tokens) AS t
                     FROM usage_daily_totals WHERE user_id = ANY($1::uuid[]) GROUP BY user_id) r USING (user_id)
        FULL JOIN (SELECT user_id, sum(messages) AS c, sum(prompt_tokens + completion_tokens) AS t
                     FROM usage_periods WHERE user_id = ANY($1::uuid[]) AND span_days = 32 GROUP BY user_id) p USING (user_id)
       WHERE (d.c, d.t) IS DISTINCT FROM (r.c, r.t) OR (d.c, d.t) IS DISTINCT FROM (p.c, p.t)`,
  },
  {
    what: '(user, agent type) pairs with more than 5 active sessions',
    sql: `
      SELECT count(*)::int AS n FROM (SELECT 1 FROM chat_sessions WHERE user_id = ANY($1::uuid[]) AND is_active AND deleted_at IS NULL
                                       GROUP BY user_id, agent_type HAVING count(*) > 5) x`,
  },
];

/** Runs DERIVED_DATA in one transaction for `userIds`; returns the seconds each statement took. */
export async function deriveFromBaseRows(db: pg.Client, userIds: string[]): Promise<Record<string, number>> {
  const took: Record<string, number> = {};
  await db.query('BEGIN');
  try {
    for (const { name, sql } of DERIVED_DATA) {
      const started = Date.now();
      await db.query(sql, [userIds]);
      took[name] = (Date.now() - started) / 1000;
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
  return took;
}

export async function checkDerivedData(db: pg.Client, userIds: string[]): Promise<void> {
  for (const { what, sql } of DERIVED_DATA_CHECKS) {
    const { rows } = await db.query<{ n: number }>(sql, [userIds]);
    if (rows[0].n !== 0) throw new Error(`scale data: ${rows[0].n} × ${what}`);
  }
}

import type pg from 'pg';

const COUNTERS = `message_count, user_message_count, assistant_message_count, system_message_count, tool_message_count,
  prompt_tokens, completion_tokens, total_tokens, first_message_at`;

/** The counters a session row keeps, and the same figures recounted from its messages. */
export async function countersAndRecount(db: pg.Pool, sessionId: string) {
  const kept = await db.query(`SELECT ${COUNTERS} FROM chat_sessions WHERE id = $1`, [sessionId]);
  const recounted = await db.query(
    `SELECT count(*)::int AS message_count,
            count(*) FILTER (WHERE role = 'user')::int AS user_message_count,
            count(*) FILTER (WHERE role = 'assistant')::int AS assistant_message_count,
            count(*) FILTER (WHERE role = 'system')::int AS system_message_count,
            count(*) FILTER (WHERE role = 'tool')::int AS tool_message_count,
            coalesce(sum(prompt_tokens), 0)::int AS prompt_tokens,
            coalesce(sum(completion_tokens), 0)::int AS completion_tokens,
            coalesce(sum(coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)), 0)::int AS total_tokens,
            (array_agg(created_at ORDER BY seq))[1] AS first_message_at
       FROM chat_messages WHERE session_id = $1`,
    [sessionId],
  );
  return { kept: kept.rows[0], recounted: recounted.rows[0] };
}

/** Asserts that the session's counters equal a recount of its messages, and returns them. */
export async function expectExactCounters(db: pg.Pool, sessionId: string) {
  const { kept, recounted } = await countersAndRecount(db, sessionId);
  expect(kept).toEqual(recounted);
  return kept as Record<string, number> & { first_message_at: Date | null };
}

import type pg from 'pg';

const COUNTERS = `message_count, user_message_count, assistant_message_count, system_message_count, tool_message_count,
  prompt_tokens, completion_tokens, total_tokens, first_message_at`;

/**
 * The counters a session row keeps, and the same figures recounted from its visible messages (above the
 * history floor). Give the user where a session id may exist in several accounts (imports keep ids).
 */
export async function countersAndRecount(db: pg.Pool, sessionId: string, userId: string | null = null) {
  const kept = await db.query(`SELECT ${COUNTERS} FROM chat_sessions WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)`, [
    sessionId,
    userId,
  ]);
  const recounted = await db.query(
    `SELECT count(*)::int AS message_count,
            count(*) FILTER (WHERE m.role = 'user')::int AS user_message_count,
            count(*) FILTER (WHERE m.role = 'assistant')::int AS assistant_message_count,
            count(*) FILTER (WHERE m.role = 'system')::int AS system_message_count,
            count(*) FILTER (WHERE m.role = 'tool')::int AS tool_message_count,
            coalesce(sum(m.prompt_tokens), 0)::int AS prompt_tokens,
            coalesce(sum(m.completion_tokens), 0)::int AS completion_tokens,
            coalesce(sum(coalesce(m.prompt_tokens, 0) + coalesce(m.completion_tokens, 0)), 0)::int AS total_tokens,
            (array_agg(m.created_at ORDER BY m.seq))[1] AS first_message_at
       FROM chat_messages m JOIN chat_sessions s ON s.user_id = m.user_id AND s.id = m.session_id
      WHERE m.session_id = $1 AND ($2::uuid IS NULL OR m.user_id = $2) AND m.seq > s.history_floor_seq`,
    [sessionId, userId],
  );
  return { kept: kept.rows[0], recounted: recounted.rows[0] };
}

/** Asserts that the session's counters equal a recount of its messages, and returns them. */
export async function expectExactCounters(db: pg.Pool, sessionId: string, userId: string | null = null) {
  const { kept, recounted } = await countersAndRecount(db, sessionId, userId);
  expect(kept).toEqual(recounted);
  return kept as Record<string, number> & { first_message_at: Date | null };
}

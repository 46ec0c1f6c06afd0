/** Today as a UTC date: quota days and usage days are UTC days. */
export const TODAY = "(now() AT TIME ZONE 'UTC')::date";

/**
 * The accounting half of an append, as a CTE of the append's own statement: rows of `source` (just inserted
 * messages) are added to the day's usage per agent type, model and session. One statement, one commit.
 */
export function usageUpsertCte(source: string, userIdParam: string): string {
  return `usage AS (
    INSERT INTO usage_daily AS u (user_id, day, agent_type, model, session_id, prompt_tokens, completion_tokens, messages, user_messages)
    SELECT ${userIdParam}::uuid, ${TODAY}, agent_type, coalesce(model, ''), session_id,
           sum(coalesce(prompt_tokens, 0)), sum(coalesce(completion_tokens, 0)), count(*), count(*) FILTER (WHERE role = 'user')
      FROM ${source}
     GROUP BY agent_type, coalesce(model, ''), session_id
    ON CONFLICT (user_id, day, agent_type, model, session_id) DO UPDATE SET
      prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
      completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
      messages = u.messages + EXCLUDED.messages,
      user_messages = u.user_messages + EXCLUDED.user_messages
  )`;
}

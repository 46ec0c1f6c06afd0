/** Today as a UTC date: quota days and usage days are UTC days. */
export const TODAY = "(now() AT TIME ZONE 'UTC')::date";

const COUNTS = `sum(coalesce(prompt_tokens, 0)), sum(coalesce(completion_tokens, 0)), count(*)`;

const ADD_COUNTS = `prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
      completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
      messages = u.messages + EXCLUDED.messages`;

/**
 * The accounting half of an append, as CTEs of the append's own statement: rows of `source` (just inserted
 * messages) are added to today's usage per agent type, model and session (usage_daily, the detail), per
 * agent type and model (usage_daily_totals, for reports and quotas) and per user in the blocks of 1, 2, 8
 * and 32 days that contain today (usage_periods, for the admin report). One statement, one commit: the rollups
 * never disagree with the detail. Rows are upserted in key order, so concurrent appends of one user lock
 * shared rollup rows in the same order.
 */
export function usageUpsertCtes(source: string, userIdParam: string): string {
  return `usage AS (
    INSERT INTO usage_daily AS u (user_id, day, agent_type, model, session_id, prompt_tokens, completion_tokens, messages, user_messages)
    SELECT ${userIdParam}::uuid, ${TODAY}, agent_type, coalesce(model, ''), session_id, ${COUNTS}, count(*) FILTER (WHERE role = 'user')
      FROM ${source}
     GROUP BY agent_type, coalesce(model, ''), session_id
     ORDER BY 3, 4, 5
    ON CONFLICT (user_id, day, agent_type, model, session_id) DO UPDATE SET
      ${ADD_COUNTS}, user_messages = u.user_messages + EXCLUDED.user_messages
  ), usage_totals AS (
    INSERT INTO usage_daily_totals AS u (user_id, day, agent_type, model, prompt_tokens, completion_tokens, messages, user_messages)
    SELECT ${userIdParam}::uuid, ${TODAY}, agent_type, coalesce(model, ''), ${COUNTS}, count(*) FILTER (WHERE role = 'user')
      FROM ${source}
     GROUP BY agent_type, coalesce(model, '')
     ORDER BY 3, 4
    ON CONFLICT (user_id, day, agent_type, model) DO UPDATE SET
      ${ADD_COUNTS}, user_messages = u.user_messages + EXCLUDED.user_messages
  ), usage_blocks AS (
    INSERT INTO usage_periods AS u (user_id, span_days, start_day, prompt_tokens, completion_tokens, messages)
    SELECT ${userIdParam}::uuid, span.days, DATE '1970-01-01' + (${TODAY} - DATE '1970-01-01') / span.days * span.days, ${COUNTS}
      FROM ${source} CROSS JOIN (VALUES (1::smallint), (2::smallint), (8::smallint), (32::smallint)) AS span(days)
     GROUP BY span.days
     ORDER BY 2
    ON CONFLICT (user_id, span_days, start_day) DO UPDATE SET
      ${ADD_COUNTS}
  )`;
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

const ROLES = ['user', 'assistant', 'system', 'tool'];
const ROLE_COUNTS = ROLES.map((role) => `${role}_message_count`);

/**
 * Session statistics kept on the session row (per-role counts, token sums, first_message_at), so stats and a
 * role-filtered history's total read one row instead of scanning the session's messages; and an index for
 * role-filtered keyset history. The backfill recounts every session from its messages in one statement.
 */
export class AddSessionCounters1795306400000 implements MigrationInterface {
  name = 'AddSessionCounters1795306400000';

  async up(db: QueryRunner): Promise<void> {
    // The backfill and the index build read every message: no per-request statement timeout for them.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`
      ALTER TABLE chat_sessions
        ${ROLE_COUNTS.map((column) => `ADD COLUMN ${column} integer NOT NULL DEFAULT 0`).join(',\n        ')},
        ADD COLUMN prompt_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN completion_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN first_message_at timestamptz(3)`);
    // Only visible messages count (above the history floor of a cleared history, which the erasure worker is
    // still deleting). message_count and total_tokens are recounted too, so the checks below hold whatever drift there was.
    await db.query(`
      UPDATE chat_sessions s
         SET message_count = c.messages,
             ${ROLE_COUNTS.map((column) => `${column} = c.${column}`).join(',\n             ')},
             prompt_tokens = c.prompt_tokens,
             completion_tokens = c.completion_tokens,
             total_tokens = c.prompt_tokens + c.completion_tokens,
             first_message_at = c.first_message_at
        FROM (SELECT user_id, session_id, count(*)::int AS messages,
                     ${ROLES.map((role) => `count(*) FILTER (WHERE role = '${role}')::int AS ${role}_message_count`).join(',\n                     ')},
                     coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
                     coalesce(sum(completion_tokens), 0) AS completion_tokens,
                     (array_agg(created_at ORDER BY seq))[1] AS first_message_at
                FROM chat_messages m
               WHERE m.seq > (SELECT h.history_floor_seq FROM chat_sessions h WHERE h.user_id = m.user_id AND h.id = m.session_id)
               GROUP BY user_id, session_id) c
       WHERE s.user_id = c.user_id AND s.id = c.session_id`);
    await db.query(`
      UPDATE chat_sessions s SET message_count = 0, total_tokens = 0
       WHERE (message_count <> 0 OR total_tokens <> 0)
         AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.user_id = s.user_id AND m.session_id = s.id AND m.seq > s.history_floor_seq)`);
    await db.query(`
      ALTER TABLE chat_sessions
        ADD CONSTRAINT chat_sessions_role_counts_check
          CHECK (${ROLE_COUNTS.map((column) => `${column} >= 0`).join(' AND ')} AND ${ROLE_COUNTS.join(' + ')} = message_count),
        ADD CONSTRAINT chat_sessions_token_sums_check
          CHECK (prompt_tokens >= 0 AND completion_tokens >= 0 AND prompt_tokens + completion_tokens = total_tokens),
        ADD CONSTRAINT chat_sessions_first_message_check CHECK ((first_message_at IS NULL) = (message_count = 0))`);
    // History filtered by role: keyset on seq within (user, session, role), in both directions.
    await db.query(`CREATE INDEX chat_messages_user_session_role_seq_idx ON chat_messages (user_id, session_id, role, seq)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX chat_messages_user_session_role_seq_idx`);
    await db.query(`
      ALTER TABLE chat_sessions
        DROP CONSTRAINT chat_sessions_first_message_check,
        DROP CONSTRAINT chat_sessions_token_sums_check,
        DROP CONSTRAINT chat_sessions_role_counts_check,
        ${ROLE_COUNTS.map((column) => `DROP COLUMN ${column}`).join(',\n        ')},
        DROP COLUMN prompt_tokens,
        DROP COLUMN completion_tokens,
        DROP COLUMN first_message_at`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions stored by POST /users/me/import (issue #16):
 * - are inactive with their own reason, `imported`;
 * - carry `imported_at`, when they arrived (null for every other session). They keep their original
 *   last_message_at, so retention's inactivity clock is `greatest(last_message_at, imported_at)`: an old
 *   conversation is not deleted or anonymized minutes after its import, only once it has been here, idle,
 *   for the retention period. greatest() skips nulls, so for any other session it is last_message_at.
 * - The two partial indexes of retention's inactive candidates lead with that clock (expression indexes:
 *   no table rewrite and no stored column for it; the job's statements state the very same expression),
 *   so a batch reads the oldest candidates and nothing else. The anonymize index leaves out what was
 *   anonymized already, which only grows. Each carries user_id.
 */
export class AllowImportedSessions1795307200000 implements MigrationInterface {
  name = 'AllowImportedSessions1795307200000';

  async up(db: QueryRunner): Promise<void> {
    // Index builds read every session: proportional to the table, not bounded by a request's timeout.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_deactivated_reason_check`);
    await db.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_deactivated_reason_check
        CHECK (deactivated_reason IN ('session_limit', 'ended', 'user', 'imported'))`);
    await db.query(`ALTER TABLE chat_sessions ADD COLUMN imported_at timestamptz(3)`);
    await db.query(`
      CREATE INDEX chat_sessions_retention_inactive_idx ON chat_sessions (greatest(last_message_at, imported_at), user_id, id)
       WHERE NOT is_active AND deleted_at IS NULL`);
    await db.query(`
      CREATE INDEX chat_sessions_retention_anonymize_idx ON chat_sessions (greatest(last_message_at, imported_at), user_id, id)
       WHERE NOT is_active AND deleted_at IS NULL AND (anonymized_at IS NULL OR anonymized_seq < last_seq)`);
  }

  /** Imported sessions stay, inactive as "ended", the closest reason the older schema knows. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX chat_sessions_retention_anonymize_idx`);
    await db.query(`DROP INDEX chat_sessions_retention_inactive_idx`);
    await db.query(`ALTER TABLE chat_sessions DROP COLUMN imported_at`);
    await db.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_deactivated_reason_check`);
    await db.query(`UPDATE chat_sessions SET deactivated_reason = 'ended' WHERE deactivated_reason = 'imported'`);
    await db.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_deactivated_reason_check
        CHECK (deactivated_reason IN ('session_limit', 'ended', 'user'))`);
  }
}

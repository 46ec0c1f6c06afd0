import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sessions stored by POST /users/me/import are inactive with their own reason, `imported` (issue #16). */
export class AllowImportedSessions1795307200000 implements MigrationInterface {
  name = 'AllowImportedSessions1795307200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_deactivated_reason_check`);
    await db.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_deactivated_reason_check
        CHECK (deactivated_reason IN ('session_limit', 'ended', 'user', 'imported'))`);
  }

  /** Imported sessions stay, inactive as "ended", the closest reason the older schema knows. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_deactivated_reason_check`);
    await db.query(`UPDATE chat_sessions SET deactivated_reason = 'ended' WHERE deactivated_reason = 'imported'`);
    await db.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_deactivated_reason_check
        CHECK (deactivated_reason IN ('session_limit', 'ended', 'user'))`);
  }
}

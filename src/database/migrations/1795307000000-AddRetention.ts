import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (issue #16).
 * - chat_sessions.anonymized_seq: messages up to this seq were anonymized (the job's progress through a
 *   session, batch by batch); anonymized_at: when the session was last anonymized in full, the mark that
 *   keeps the job from taking it again, unless it got new messages since (anonymized_seq < last_seq).
 * - The partial index of the soft-deleted candidates, ordered by deleted_at, the date the job compares to
 *   its cutoff, so a batch reads the oldest candidates and nothing else, however many sessions there are; it
 *   carries user_id. The inactive candidates' two indexes are ordered by a date that needs imported_at, so
 *   AllowImportedSessions1795307200000 makes them.
 * - job_leases: one row per cluster-wide job, held by one instance until it expires (no advisory lock, so
 *   it holds behind PgBouncer in transaction mode too).
 */
export class AddRetention1795307000000 implements MigrationInterface {
  name = 'AddRetention1795307000000';

  async up(db: QueryRunner): Promise<void> {
    // Index builds read every session: proportional to the table, not bounded by a request's timeout.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`
      ALTER TABLE chat_sessions
        ADD COLUMN anonymized_at timestamptz(3),
        ADD COLUMN anonymized_seq integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT chat_sessions_anonymized_seq_check CHECK (anonymized_seq >= 0 AND anonymized_seq <= last_seq)`);
    await db.query(`
      CREATE INDEX chat_sessions_retention_deleted_idx ON chat_sessions (deleted_at, user_id, id)
       WHERE deleted_at IS NOT NULL AND erased_at IS NULL`);
    await db.query(`
      CREATE TABLE job_leases (
        name        varchar(64) NOT NULL,
        holder      varchar(200) NOT NULL,
        acquired_at timestamptz(3) NOT NULL,
        expires_at  timestamptz(3) NOT NULL,
        CONSTRAINT job_leases_pkey PRIMARY KEY (name)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE job_leases`);
    await db.query(`DROP INDEX chat_sessions_retention_deleted_idx`);
    await db.query(`
      ALTER TABLE chat_sessions
        DROP CONSTRAINT chat_sessions_anonymized_seq_check,
        DROP COLUMN anonymized_seq,
        DROP COLUMN anonymized_at`);
  }
}

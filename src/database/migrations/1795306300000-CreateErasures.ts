import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure of any size (issue #12): the request hides the data at once and queues an erasure; a worker on
 * every instance deletes the rows in short batches. Hiding needs a tombstone on users (its user_emails row
 * goes at once, so the email is free again), a history floor and an erased mark on chat_sessions.
 */
export class CreateErasures1795306300000 implements MigrationInterface {
  name = 'CreateErasures1795306300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN deleted_at timestamptz(3)`);
    // Messages with seq <= history_floor_seq were cleared: invisible to every read until the worker deletes
    // them. erased_at marks a permanently deleted session (already soft-deleted, so hidden everywhere) that
    // no restore may bring back while its messages are deleted.
    await db.query(`
      ALTER TABLE chat_sessions
        ADD COLUMN history_floor_seq integer NOT NULL DEFAULT 0,
        ADD COLUMN erased_at timestamptz(3),
        ADD CONSTRAINT chat_sessions_history_floor_check CHECK (history_floor_seq >= 0 AND history_floor_seq <= last_seq),
        ADD CONSTRAINT chat_sessions_erased_deleted_check CHECK (erased_at IS NULL OR deleted_at IS NOT NULL)`);
    // Pending erasures. Small (only work not yet done), so the workers' claim scans it; the key leads with
    // user_id like every key on user data, and the row goes with its user.
    await db.query(`
      CREATE TABLE erasures (
        user_id      uuid NOT NULL,
        id           uuid NOT NULL DEFAULT gen_random_uuid(),
        kind         varchar(16) NOT NULL,
        session_id   uuid,
        floor_seq    integer,
        rows_deleted bigint NOT NULL DEFAULT 0,
        attempts     integer NOT NULL DEFAULT 0,
        last_error   text,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT erasures_pkey PRIMARY KEY (user_id, id),
        CONSTRAINT erasures_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT erasures_kind_check CHECK (kind IN ('user', 'session', 'history')),
        CONSTRAINT erasures_target_check CHECK ((kind = 'user') = (session_id IS NULL) AND (kind = 'history') = (floor_seq IS NOT NULL))
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    // What is hidden now and not yet erased would reappear without these columns: erase it here, at once.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`
      DELETE FROM chat_messages m USING chat_sessions s
       WHERE s.user_id = m.user_id AND s.id = m.session_id AND m.seq <= s.history_floor_seq`);
    await db.query(`DELETE FROM chat_sessions WHERE erased_at IS NOT NULL`);
    await db.query(`DROP TABLE erasures`);
    await db.query(`
      ALTER TABLE chat_sessions
        DROP CONSTRAINT chat_sessions_erased_deleted_check,
        DROP CONSTRAINT chat_sessions_history_floor_check,
        DROP COLUMN erased_at,
        DROP COLUMN history_floor_seq`);
    // Tombstoned accounts could share an email with a live one; they are on their way out anyway.
    await db.query(`DELETE FROM users WHERE deleted_at IS NOT NULL`);
    await db.query(`ALTER TABLE users DROP COLUMN deleted_at`);
  }
}

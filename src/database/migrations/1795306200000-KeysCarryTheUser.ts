import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every key on user data leads with user_id, so the schema can be distributed by user (Citus: the
 * distribution column is user_id, users.id for users) or hash-partitioned without a rewrite: PostgreSQL and
 * Citus both require every primary key and unique constraint to contain that column, and co-located
 * foreign keys to carry it on both sides. test/readiness.e2e-spec.ts checks the catalog for it.
 *
 * - chat_sessions (user_id, id); chat_messages (user_id, id), unique (user_id, session_id, seq), and the
 *   session foreign key (user_id, session_id). Their user_id indexes are now prefixes of the primary keys.
 *   chat_messages loses its own foreign key to users: the session's one already implies it.
 * - refresh_tokens (user_id, id), unique (user_id, token_hash): a refresh token names its user.
 * - Emails are unique across users, which a table distributed by user cannot enforce, so uniqueness moves to
 *   user_emails, keyed by email (what login looks up); users.email stays for reading.
 */
export class KeysCarryTheUser1795306200000 implements MigrationInterface {
  name = 'KeysCarryTheUser1795306200000';

  async up(db: QueryRunner): Promise<void> {
    // Rebuilds the keys of every message: proportional to the table, not bounded by a request's timeout.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_id_fkey, DROP CONSTRAINT chat_messages_user_id_fkey`);
    await db.query(
      `ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_pkey, ADD CONSTRAINT chat_sessions_pkey PRIMARY KEY (user_id, id)`,
    );
    await db.query(`
      ALTER TABLE chat_messages
        DROP CONSTRAINT chat_messages_pkey,
        ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (user_id, id),
        DROP CONSTRAINT chat_messages_session_seq_key,
        ADD CONSTRAINT chat_messages_session_seq_key UNIQUE (user_id, session_id, seq),
        ADD CONSTRAINT chat_messages_session_fkey FOREIGN KEY (user_id, session_id)
          REFERENCES chat_sessions (user_id, id) ON DELETE CASCADE`);
    await db.query(`DROP INDEX chat_messages_user_id_idx`);
    // A session belongs to one user: without this the planner multiplies the two selectivities and expects
    // a handful of rows where a whole session matches.
    await db.query(`CREATE STATISTICS chat_messages_session_user_stats (dependencies) ON user_id, session_id FROM chat_messages`);

    await db.query(`
      ALTER TABLE refresh_tokens
        DROP CONSTRAINT refresh_tokens_pkey,
        ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (user_id, id)`);
    await db.query(`DROP INDEX refresh_tokens_token_hash_key, refresh_tokens_family_id_idx, refresh_tokens_user_id_idx`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (user_id, token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (user_id, family_id)`);

    await db.query(`
      CREATE TABLE user_emails (
        email   varchar(254) NOT NULL,
        user_id uuid NOT NULL,
        CONSTRAINT user_emails_pkey PRIMARY KEY (email),
        CONSTRAINT user_emails_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT user_emails_email_lowercase_check CHECK (email = lower(email))
      )`);
    await db.query(`CREATE INDEX user_emails_user_id_idx ON user_emails (user_id)`);
    await db.query(`INSERT INTO user_emails (email, user_id) SELECT email, id FROM users`);
    await db.query(`DROP INDEX users_email_key`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await db.query(`DROP TABLE user_emails`);

    await db.query(`DROP INDEX refresh_tokens_token_hash_key, refresh_tokens_family_id_idx`);
    await db.query(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey, ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id)`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id)`);
    await db.query(`CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id)`);

    await db.query(`DROP STATISTICS chat_messages_session_user_stats`);
    await db.query(`CREATE INDEX chat_messages_user_id_idx ON chat_messages (user_id)`);
    await db.query(`
      ALTER TABLE chat_messages
        DROP CONSTRAINT chat_messages_session_fkey,
        DROP CONSTRAINT chat_messages_session_seq_key,
        ADD CONSTRAINT chat_messages_session_seq_key UNIQUE (session_id, seq),
        DROP CONSTRAINT chat_messages_pkey,
        ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (id)`);
    await db.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_pkey, ADD CONSTRAINT chat_sessions_pkey PRIMARY KEY (id)`);
    await db.query(`
      ALTER TABLE chat_messages
        ADD CONSTRAINT chat_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES chat_sessions (id) ON DELETE CASCADE,
        ADD CONSTRAINT chat_messages_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`);
  }
}

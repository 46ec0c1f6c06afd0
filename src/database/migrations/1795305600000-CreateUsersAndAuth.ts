import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsersAndAuth1795305600000 implements MigrationInterface {
  name = 'CreateUsersAndAuth1795305600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         varchar(254) NOT NULL,
        password_hash text NOT NULL,
        display_name  varchar(100),
        avatar_url    varchar(2048),
        role          varchar(16) NOT NULL DEFAULT 'user',
        created_at    timestamptz(3) NOT NULL DEFAULT now(),
        updated_at    timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
        CONSTRAINT users_email_lowercase_check CHECK (email = lower(email))
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await db.query(`CREATE INDEX users_created_at_idx ON users (created_at, id)`);

    // One row per issued refresh token. Only a SHA-256 of the token is kept; rotation marks the row used,
    // and presenting a used token revokes every row of its family (one login's chain of tokens).
    await db.query(`
      CREATE TABLE refresh_tokens (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id   uuid NOT NULL,
        token_hash  char(64) NOT NULL,
        expires_at  timestamptz(3) NOT NULL,
        used_at     timestamptz(3),
        revoked_at  timestamptz(3),
        created_at  timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id)`);
    await db.query(`CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id)`);

    // Fixed-window counters for rate limiting, shared by every app instance. Losing them in a crash only
    // resets a window, so they skip the write-ahead log.
    await db.query(`
      CREATE UNLOGGED TABLE rate_limit_buckets (
        key        varchar(128) PRIMARY KEY,
        hits       integer NOT NULL,
        resets_at  timestamptz(3) NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rate_limit_buckets`);
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE users`);
  }
}

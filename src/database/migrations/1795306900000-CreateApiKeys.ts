import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service accounts (issue #15): API keys, stored as their SHA-256 digest and found by it on every request
 * (unique index). Revoked keys stay with revoked_at set, so the admin list keeps showing them.
 */
export class CreateApiKeys1795306900000 implements MigrationInterface {
  name = 'CreateApiKeys1795306900000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_keys (
        id         uuid NOT NULL DEFAULT gen_random_uuid(),
        name       varchar(100) NOT NULL,
        prefix     varchar(16) NOT NULL,
        key_hash   bytea NOT NULL,
        scopes     varchar(32)[] NOT NULL,
        expires_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        revoked_at timestamptz(3),
        CONSTRAINT api_keys_pkey PRIMARY KEY (id),
        CONSTRAINT api_keys_scopes_check CHECK (scopes <@ ARRAY['act_as_user', 'usage:read']::varchar[] AND cardinality(scopes) > 0)
      )`);
    await db.query(`CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash)`);
    await db.query(`CREATE INDEX api_keys_created_at_idx ON api_keys (created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_keys`);
  }
}

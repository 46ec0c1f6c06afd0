import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * External identity (issue #15): a user provisioned from an identity provider's token is found again by
 * (issuer, subject). Keyed by the identity, like user_emails, since that is what a request arrives with.
 */
export class CreateUserIdentities1795306700000 implements MigrationInterface {
  name = 'CreateUserIdentities1795306700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE user_identities (
        issuer     varchar(512) NOT NULL,
        subject    varchar(255) NOT NULL,
        user_id    uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT user_identities_pkey PRIMARY KEY (issuer, subject),
        CONSTRAINT user_identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX user_identities_user_id_idx ON user_identities (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE user_identities`);
  }
}

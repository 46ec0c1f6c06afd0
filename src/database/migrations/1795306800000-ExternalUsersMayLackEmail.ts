import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users provisioned from an identity provider's token (issue #15) may have no email: the claim is
 * optional (client-credentials tokens, phone sign-ins), and the email is only their profile's.
 */
export class ExternalUsersMayLackEmail1795306800000 implements MigrationInterface {
  name = 'ExternalUsersMayLackEmail1795306800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ALTER COLUMN email DROP NOT NULL`);
  }

  /** An empty email (which no login matches: logins go through user_emails) stands in for a missing one. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`UPDATE users SET email = '' WHERE email IS NULL`);
    await db.query(`ALTER TABLE users ALTER COLUMN email SET NOT NULL`);
  }
}

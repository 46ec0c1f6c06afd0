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

  /**
   * A placeholder unique per user (which no login matches: logins go through user_emails) stands in for a
   * missing email, and for an external user's email that another account also has: the migrations below
   * this one make users.email unique again.
   */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      UPDATE users u SET email = 'external+' || u.id || '@invalid'
      WHERE u.email IS NULL
         OR (NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id)
             AND EXISTS (SELECT 1 FROM users o WHERE o.id <> u.id AND o.email = u.email))`);
    await db.query(`ALTER TABLE users ALTER COLUMN email SET NOT NULL`);
  }
}

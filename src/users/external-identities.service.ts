import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuthUser, UserRole } from '../common/auth/auth-user.js';
import { unauthorized } from '../common/problem/problem.js';
import type { ExternalProfile } from './auth/oidc/oidc-claims.js';
import { User } from './user.entity.js';

/** Not a scrypt hash, so PasswordHasher.verify never accepts it: an external user has no local password. */
const NO_PASSWORD = '!';

/** Another request provisioned the same (issuer, subject) first; this one's user is rolled back. */
class LostProvisioningRace extends Error {}

/**
 * Who an identity provider's user is here: found by (issuer, subject) in user_identities, or created on
 * first sight. The email claim only fills the profile; it never finds or links an account (a provider
 * that lets users set any email would otherwise hand them the local account with that address).
 */
@Injectable()
export class ExternalIdentities {
  constructor(private readonly dataSource: DataSource) {}

  async resolve(profile: ExternalProfile): Promise<AuthUser> {
    const userId = await this.find(profile);
    return userId ? this.current(userId, profile.role) : this.provision(profile);
  }

  private async find({ issuer, subject }: ExternalProfile): Promise<string | undefined> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2',
      [issuer, subject],
    );
    return rows[0]?.user_id;
  }

  /**
   * With OIDC_ROLES_CLAIM the provider decides the role, so each newly seen token brings it up to date
   * (an UPDATE that changes nothing when it already agrees); without it the role is this service's own.
   */
  private async current(id: string, claimed: UserRole | undefined): Promise<AuthUser> {
    if (claimed) {
      await this.dataSource.query('UPDATE users SET role = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL AND role <> $2', [
        id,
        claimed,
      ]);
    }
    const rows: { role: UserRole }[] = await this.dataSource.query('SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL', [id]);
    if (!rows[0]) throw unauthorized('This account no longer exists.');
    return { id, role: rows[0].role };
  }

  /**
   * The user row and its identity in one transaction. Of concurrent first requests for one subject, the
   * identity's primary key lets one insert win; the others wait for it, find the key taken, roll their
   * user back and take the winner's.
   */
  private async provision(profile: ExternalProfile): Promise<AuthUser> {
    const user = { id: randomUUID(), role: profile.role ?? 'user' };
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(User, {
          ...user,
          email: profile.email,
          passwordHash: NO_PASSWORD,
          displayName: profile.displayName,
          avatarUrl: null,
        });
        const claimed: unknown[] = await manager.query(
          `INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)
           ON CONFLICT (issuer, subject) DO NOTHING RETURNING user_id`,
          [profile.issuer, profile.subject, user.id],
        );
        if (claimed.length === 0) throw new LostProvisioningRace();
      });
      return user;
    } catch (error) {
      if (!(error instanceof LostProvisioningRace)) throw error;
      const winner = await this.find(profile);
      if (!winner) throw unauthorized('This account no longer exists.');
      return this.current(winner, profile.role);
    }
  }
}

import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { problem, validationFailed } from '../common/problem/problem.js';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { ON_BEHALF_OF_UNKNOWN } from './api-key.errors.js';
import { isUuid } from '../common/validation/uuid.js';

/** An OIDC subject is at most 255 ASCII characters (OIDC Core 2); a user id is a UUID. */
const VALUE = /^[\x20-\x7e]{1,255}$/;

/**
 * Resolves X-On-Behalf-Of to a live user: a user id first, then a subject of OIDC_ISSUER through
 * user_identities (Keycloak subjects are UUIDs too, so a UUID that is no user id is tried as a subject).
 * Looked up on every request (a primary-key or an (issuer, subject) key lookup), so an erased user is
 * refused at once.
 */
@Injectable()
export class OnBehalfOf {
  private readonly issuer: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.issuer = config.get('OIDC_ISSUER', { infer: true });
  }

  async resolve(header: string | string[]): Promise<string> {
    const value = String(header);
    if (!VALUE.test(value)) {
      throw validationFailed([
        { field: 'X-On-Behalf-Of', message: 'must be a user id or an external subject (1 to 255 ASCII characters)' },
      ]);
    }
    const userId = (isUuid(value) && (await this.byUserId(value))) || (this.issuer && (await this.bySubject(this.issuer, value)));
    if (!userId) throw problem(ON_BEHALF_OF_UNKNOWN);
    return userId;
  }

  private async byUserId(id: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.dataSource.query('SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL', [id]);
    return rows[0]?.id;
  }

  private async bySubject(issuer: string, subject: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT u.id FROM user_identities i JOIN users u ON u.id = i.user_id AND u.deleted_at IS NULL
       WHERE i.issuer = $1 AND i.subject = $2`,
      [issuer, subject],
    );
    return rows[0]?.id;
  }
}

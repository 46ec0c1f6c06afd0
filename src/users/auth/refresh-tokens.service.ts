import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, IsNull, Repository } from 'typeorm';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { problem } from '../../common/problem/problem.js';
import { INVALID_REFRESH_TOKEN } from '../user.errors.js';
import { RefreshToken } from './refresh-token.entity.js';

const invalidRefreshToken = () => problem(INVALID_REFRESH_TOKEN, { headers: { 'WWW-Authenticate': 'Bearer' } });

/**
 * A refresh token is `<user id>.<random>`; only its SHA-256 is stored, under the user it names, so every
 * lookup is one user's (a token whose prefix is not a user id matches nothing). Each login starts a family.
 * A refresh uses the token up and issues its successor in the same family; presenting a used token again
 * means it was copied, so the whole family is revoked and the holder must log in again.
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** Starts a new family (a login), clearing the user's expired tokens on the way. */
  async issueFamily(userId: string): Promise<string> {
    await this.tokens.createQueryBuilder().delete().where('user_id = :userId AND expires_at < now()', { userId }).execute();
    return this.issue(this.dataSource.manager, userId, randomUUID());
  }

  /** Exchanges a valid token for its successor; returns the owner and the new token. */
  async rotate(presented: string): Promise<{ userId: string; refreshToken: string }> {
    const owner = ownerOf(presented);
    if (!owner) throw invalidRefreshToken();
    const outcome = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(RefreshToken, {
        where: { userId: owner, tokenHash: digest(presented) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current || current.revokedAt || current.expiresAt.getTime() <= Date.now()) return null;
      if (current.usedAt) {
        await manager.update(RefreshToken, { userId: owner, familyId: current.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
        return null;
      }
      await manager.update(RefreshToken, { userId: owner, id: current.id }, { usedAt: new Date() });
      return { userId: current.userId, refreshToken: await this.issue(manager, current.userId, current.familyId) };
    });
    if (!outcome) throw invalidRefreshToken();
    return outcome;
  }

  /** Logout: revokes the family of a token that belongs to this user; unknown tokens are ignored. */
  async revokeFamily(presented: string, userId: string): Promise<void> {
    const token = await this.tokens.findOne({ select: { familyId: true }, where: { tokenHash: digest(presented), userId } });
    if (token) await this.tokens.update({ userId, familyId: token.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private async issue(manager: EntityManager, userId: string, familyId: string): Promise<string> {
    const token = `${userId}.${randomBytes(32).toString('base64url')}`;
    const ttlMs = this.config.get('JWT_REFRESH_TTL_SECONDS', { infer: true }) * 1000;
    await manager.insert(RefreshToken, { userId, familyId, tokenHash: digest(token), expiresAt: new Date(Date.now() + ttlMs) });
    return token;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function ownerOf(token: string): string | null {
  const userId = token.slice(0, token.indexOf('.'));
  return UUID.test(userId) ? userId : null;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

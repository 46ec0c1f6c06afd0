import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { ApiKeyScope } from '../common/auth/auth-user.js';
import { ExpiringCache } from '../common/cache/expiring-cache.js';
import { unauthorized } from '../common/problem/problem.js';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { API_KEY_EXPIRED, API_KEY_INVALID, API_KEY_REVOKED } from './api-key.errors.js';
import { hashApiKey, isWellFormedApiKey } from './api-key.codec.js';

export interface LiveApiKey {
  id: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

interface KeyRow extends LiveApiKey {
  revokedAt: Date | null;
}

/**
 * Finds the key a request presents by its digest (unique index api_keys_key_hash_key). A live key is
 * trusted for API_KEY_CHECK_TTL_MS on this instance (never past its expiry), so revocation reaches the
 * other instances within that window and the revoking instance at once (forget). Refusals are not cached.
 */
@Injectable()
export class ApiKeyLookup {
  private readonly live = new ExpiringCache<LiveApiKey>();
  private readonly ttlMs: number;

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.ttlMs = config.get('API_KEY_CHECK_TTL_MS', { infer: true });
  }

  async verify(key: string, nowMs = Date.now()): Promise<LiveApiKey> {
    if (!isWellFormedApiKey(key)) throw unauthorized(API_KEY_INVALID);
    const hash = hashApiKey(key).toString('hex');
    const cached = this.live.get(hash, nowMs);
    if (cached) return cached;
    const [row]: KeyRow[] = await this.dataSource.query(
      `SELECT id, scopes, expires_at AS "expiresAt", revoked_at AS "revokedAt" FROM api_keys WHERE key_hash = decode($1, 'hex')`,
      [hash],
    );
    if (!row) throw unauthorized(API_KEY_INVALID);
    if (row.revokedAt) throw unauthorized(API_KEY_REVOKED);
    const expiresAtMs = row.expiresAt?.getTime() ?? Infinity;
    if (expiresAtMs <= nowMs) throw unauthorized(API_KEY_EXPIRED);
    const live: LiveApiKey = { id: row.id, scopes: row.scopes, expiresAt: row.expiresAt };
    if (this.ttlMs > 0) this.live.set(hash, live, Math.min(nowMs + this.ttlMs, expiresAtMs));
    return live;
  }

  /** The revoking instance stops trusting the key at once. */
  forget(keyHash: Buffer): void {
    this.live.delete(keyHash.toString('hex'));
  }
}

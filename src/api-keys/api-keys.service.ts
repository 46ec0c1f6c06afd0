import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { Repository } from 'typeorm';
import type { AuthUser } from '../common/auth/auth-user.js';
import { keysetPredicate, Pagination, type PageEnvelope } from '../common/pagination/pagination.js';
import { problem, validationFailed } from '../common/problem/problem.js';
import { API_KEY_NOT_FOUND } from './api-key.errors.js';
import { newApiKey } from './api-key.codec.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyLookup } from './api-key-lookup.js';
import {
  toApiKeyResponse,
  type ApiKeyResponseDto,
  type CreateApiKeyDto,
  type CreatedApiKeyDto,
  type ListApiKeysQueryDto,
} from './dto/api-key.dto.js';

type ApiKeyCursor = [string, string];

const isApiKeyCursor = (key: unknown): key is ApiKeyCursor =>
  Array.isArray(key) && key.length === 2 && key.every((part) => typeof part === 'string');

const SCOPE = JSON.stringify(['api_keys']);

/** Admins' management of service accounts' keys. A key is shown once, at creation; only its digest is kept. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly lookup: ApiKeyLookup,
    private readonly pagination: Pagination,
    private readonly logger: PinoLogger,
  ) {}

  async create(admin: AuthUser, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const expiresAt = typeof dto.expires_at === 'string' ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw validationFailed([{ field: 'expires_at', message: 'expires_at must be in the future' }]);
    }
    const { key, prefix, hash } = newApiKey();
    // One INSERT … RETURNING: insert() fills the generated id and created_at into the entity.
    const created = this.keys.create({ name: dto.name, prefix, keyHash: hash, scopes: dto.scopes, expiresAt, revokedAt: null });
    await this.keys.insert(created);
    this.logger.info({ api_key_id: created.id, admin_id: admin.id, scopes: dto.scopes }, 'API key created');
    return { ...toApiKeyResponse(created), key };
  }

  /** Newest first; revoked keys included (revoked_at set). Keyset on api_keys_created_at_idx. */
  async list(query: ListApiKeysQueryDto): Promise<PageEnvelope<ApiKeyResponseDto>> {
    const paging = this.pagination.resolve(query, this.pagination.configuredLimits, SCOPE, isApiKeyCursor);
    const total = await this.keys.count();
    const page = this.keys
      .createQueryBuilder('k')
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(paging.size + 1);
    if (paging.mode === 'page') page.offset(paging.offset);
    else {
      const keyset = keysetPredicate(['k.created_at', 'k.id'], 'desc', paging.after);
      page.where(keyset.sql, keyset.params);
    }
    const rows = await page.getMany();
    return this.pagination.envelope(rows, paging, total, SCOPE, (k): ApiKeyCursor => [k.createdAt.toISOString(), k.id], toApiKeyResponse);
  }

  /** Idempotent: revoking a revoked key changes nothing and still answers 204. */
  async revoke(admin: AuthUser, id: string): Promise<void> {
    const { raw } = await this.keys
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'coalesce(revoked_at, now())' })
      .where('id = :id', { id })
      .returning('key_hash, revoked_at = now()::timestamptz(3) AS newly')
      .execute();
    const rows = raw as { key_hash: Buffer; newly: boolean }[];

    if (rows.length === 0) throw problem(API_KEY_NOT_FOUND);
    this.lookup.forget(rows[0].key_hash);
    if (rows[0].newly) this.logger.info({ api_key_id: id, admin_id: admin.id }, 'API key revoked');
  }
}

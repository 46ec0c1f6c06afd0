import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { LagTolerantReads } from '../database/lag-tolerant-reads.js';
import { Pagination, type FilterablePage } from '../common/pagination/pagination.js';
import { parseMetadataFilter } from '../common/validation/metadata-filter.js';
import { ErasuresService } from '../erasure/erasures.service.js';
import { validationFailed, type FieldError } from '../common/problem/problem.js';
import type { CreateSessionDto, ListSessionsQueryDto, UpdateSessionDto } from './dto/session-request.dto.js';
import {
  toSessionResponse,
  type DeleteAllSessionsResponseDto,
  type SessionResponseDto,
  type SessionRow,
  type SessionWithEvictionsDto,
} from './dto/session-response.dto.js';
import { confirmationRequired, sessionNotFound } from './session.errors.js';
import { SessionLimiter } from './session-limiter.js';
import { SessionsRepository, type SessionChanges, type SessionKey } from './sessions.repository.js';

const isSessionKey = (key: unknown): key is SessionKey =>
  Array.isArray(key) && key.length === 2 && key.every((part) => typeof part === 'string') && !Number.isNaN(Date.parse(key[0]));

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly limiter: SessionLimiter,
    private readonly pagination: Pagination,
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly reads: LagTolerantReads,
    private readonly erasures: ErasuresService,
  ) {}

  /** Creates an active session, evicting the oldest of its agent type if the limit is reached. */
  async create(user: AuthUser, dto: CreateSessionDto, manager?: EntityManager): Promise<SessionWithEvictionsDto> {
    const agentType = dto.agent_type ?? 'primary';
    this.assertValid({ agent_type: agentType, title: dto.title });
    const run = async (tx: EntityManager) => {
      await this.limiter.lock(tx, user.id);
      const evicted = await this.limiter.makeRoom(tx, user.id, agentType);
      const row = await this.sessions.insert(tx, {
        userId: user.id,
        title: dto.title ?? null,
        agentType,
        projectId: dto.project_id ?? null,
        metadata: dto.metadata ?? {},
      });
      return { ...toSessionResponse(row), evicted_session_ids: evicted };
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  async list(user: AuthUser, query: ListSessionsQueryDto): Promise<FilterablePage<SessionResponseDto>> {
    if (query.agent_type !== undefined) this.assertValid({ agent_type: query.agent_type });
    const order = { by: query.order_by ?? 'last_message_at', direction: query.order ?? 'desc' } as const;
    const filters = {
      agentType: query.agent_type,
      isActive: query.is_active,
      projectId: query.project_id,
      search: query.search,
      metadata: parseMetadataFilter(query.metadata),
    };
    const scope = JSON.stringify(['sessions', order, filters]);
    const limits = { ...this.pagination.configuredLimits, maxDepth: this.config.get('SESSIONS_MAX_PAGE_DEPTH', { infer: true }) };
    const paging = this.pagination.resolve(query, limits, scope, isSessionKey);
    const exactLimit = this.config.get('METADATA_EXACT_TOTAL_LIMIT', { infer: true });
    const { rows, total } = await this.reads.run((manager) => this.sessions.list(user.id, filters, order, paging, exactLimit, manager));
    const envelope = this.pagination.envelope(
      rows,
      paging,
      total.total,
      scope,
      (row): SessionKey => [row[order.by].toISOString(), row.id],
      toSessionResponse,
    );
    return { ...envelope, total_is_estimate: total.isEstimate };
  }

  async get(user: AuthUser, id: string): Promise<SessionResponseDto> {
    const row = await this.sessions.find(user.id, id);
    if (!row) throw sessionNotFound();
    return toSessionResponse(row);
  }

  /** PATCH/PUT. `is_active: true` on an inactive session reactivates it under the limit. */
  async update(user: AuthUser, id: string, dto: UpdateSessionDto): Promise<SessionWithEvictionsDto> {
    if (dto.title !== undefined && dto.title !== null) this.assertValid({ title: dto.title });
    const changes: SessionChanges = { title: dto.title, metadata: dto.metadata, project_id: dto.project_id };
    if (dto.is_active === true) return this.activate(user, id, changes, { restoring: false });
    if (dto.is_active === false) changes.state = 'deactivate';
    if (Object.values(changes).every((value) => value === undefined)) return { ...(await this.get(user, id)), evicted_session_ids: [] };
    return this.withNoEvictions(await this.sessions.update(user.id, id, changes));
  }

  async end(user: AuthUser, id: string): Promise<SessionResponseDto> {
    const row = await this.sessions.update(user.id, id, { state: 'end' });
    if (!row) throw sessionNotFound();
    return toSessionResponse(row);
  }

  /**
   * Soft delete (restorable, and no longer counted toward the limit), or gone for good with its messages: a
   * permanent delete (of a visible or a soft-deleted session) hides it for good at once and queues its
   * erasure, which deletes the messages in batches, then the row.
   */
  async remove(user: AuthUser, id: string, permanent: boolean): Promise<void> {
    if (!permanent) {
      if (!(await this.sessions.update(user.id, id, { state: 'soft_delete' }))) throw sessionNotFound();
      return;
    }
    await this.dataSource.transaction(async (tx) => {
      const erased = await this.sessions.update(user.id, id, { state: 'erase' }, { manager: tx, includeDeleted: true });
      if (!erased) throw sessionNotFound();
      await this.erasures.queueSession(tx, user.id, id);
    });
    this.erasures.started();
  }

  /**
   * DELETE /sessions?confirm=true: every session at once, soft (each restorable, like DELETE /sessions/{id})
   * or for good (erased in the background, kind `sessions`). Under the owner's lock, so a concurrent
   * creation, restore or reactivation lands wholly before (and is deleted) or wholly after (and stays).
   */
  async removeAll(user: AuthUser, { confirm, permanent }: { confirm: boolean; permanent: boolean }): Promise<DeleteAllSessionsResponseDto> {
    if (!confirm) throw confirmationRequired();
    const gone = await this.dataSource.transaction(async (tx) => {
      await this.limiter.lock(tx, user.id);
      const counts = await this.sessions.removeAll(tx, user.id, permanent ? 'erase' : 'soft_delete');
      if (permanent && counts.sessions > 0) await this.erasures.queueAllSessions(tx, user.id);
      return counts;
    });
    if (permanent) this.erasures.started();
    return { deleted_sessions: gone.sessions, deleted_messages: gone.messages, permanent };
  }

  /** Undeletes (or reactivates) a session, under the limit. */
  restore(user: AuthUser, id: string): Promise<SessionWithEvictionsDto> {
    return this.activate(user, id, {}, { restoring: true });
  }

  private async activate(user: AuthUser, id: string, changes: SessionChanges, { restoring }: { restoring: boolean }) {
    return this.dataSource.transaction(async (tx) => {
      // The owner's lock always comes before the session row's, on every path that takes both.
      await this.limiter.lock(tx, user.id);
      const locked = await this.sessions.lock(tx, user.id, id);
      if (!locked || (locked.deleted && !restoring)) throw sessionNotFound();
      const alreadyActive = locked.is_active && !locked.deleted;
      if (alreadyActive && Object.values(changes).every((value) => value === undefined)) {
        return { ...toSessionResponse(locked), evicted_session_ids: [] };
      }
      const evicted = alreadyActive ? [] : await this.limiter.makeRoom(tx, user.id, locked.agent_type);
      const state = alreadyActive ? undefined : 'activate';
      const row = await this.sessions.update(user.id, id, { ...changes, state }, { manager: tx, includeDeleted: true });
      return { ...toSessionResponse(row!), evicted_session_ids: evicted };
    });
  }

  private withNoEvictions(row: SessionRow | null): SessionWithEvictionsDto {
    if (!row) throw sessionNotFound();
    return { ...toSessionResponse(row), evicted_session_ids: [] };
  }

  /** Rules that depend on configuration, reported like any validation error. */
  private assertValid(fields: { agent_type?: string; title?: string }): void {
    const errors: FieldError[] = [];
    const agentTypes = this.config.get('AGENT_TYPES', { infer: true });
    if (fields.agent_type !== undefined && !agentTypes.includes(fields.agent_type)) {
      errors.push({ field: 'agent_type', message: `agent_type must be one of: ${agentTypes.join(', ')}` });
    }
    const maxTitle = this.config.get('CHAT_TITLE_MAX_LENGTH', { infer: true });
    if (fields.title !== undefined && fields.title.length > maxTitle) {
      errors.push({ field: 'title', message: `title must be at most ${maxTitle} characters` });
    }
    if (errors.length > 0) throw validationFailed(errors);
  }
}

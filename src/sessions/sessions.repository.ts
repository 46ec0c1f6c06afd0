import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { boundedCount, type BoundedCount } from '../common/bounded-count.js';
import { keysetPredicate, type Paging } from '../common/pagination/pagination.js';
import type { MetadataFilter } from '../common/validation/metadata-filter.js';
import { escapeLike, selectColumns } from '../common/sql.js';
import type { SessionOrderBy } from './dto/session-request.dto.js';
import type { SessionRow } from './dto/session-response.dto.js';
import { ChatSession } from './session.entity.js';

export const SESSION_COLUMNS = [
  'id',
  'user_id',
  'title',
  'agent_type',
  'project_id',
  'is_active',
  'deactivated_reason',
  'metadata',
  'message_count',
  'total_tokens',
  'last_message_preview',
  'created_at',
  'updated_at',
  'last_message_at',
] as const;
const RETURNING = SESSION_COLUMNS.join(', ');

type SessionSet = QueryDeepPartialEntity<ChatSession>;

/** State transitions, written once. In SET expressions `is_active` is still the old value. */
const STATE_SET = {
  activate: { isActive: true, deactivatedReason: null, deletedAt: null },
  deactivate: { isActive: false, deactivatedReason: () => "CASE WHEN is_active THEN 'user' ELSE deactivated_reason END" },
  end: { isActive: false, deactivatedReason: 'ended' },
  soft_delete: { deletedAt: () => 'now()', isActive: false, deactivatedReason: () => "COALESCE(deactivated_reason, 'user')" },
  erase: {
    deletedAt: () => 'COALESCE(deleted_at, now())',
    erasedAt: () => 'now()',
    isActive: false,
    deactivatedReason: () => "COALESCE(deactivated_reason, 'user')",
  },
} satisfies Record<string, SessionSet>;

export interface SessionChanges {
  title?: string | null;
  metadata?: Record<string, unknown>;
  project_id?: string | null;
  state?: keyof typeof STATE_SET;
}

export interface SessionFilters {
  agentType?: string;
  isActive?: boolean;
  projectId?: string;
  search?: string;
  metadata?: MetadataFilter;
}

export type SessionKey = [string, string];

interface Scope {
  manager?: EntityManager;
  /** Also soft-deleted sessions (to restore them); never an erased one. */
  includeDeleted?: boolean;
}

/**
 * Every statement on chat_sessions the sessions module runs. Each one is scoped by user_id, so a session of
 * another user is indistinguishable from a missing one. Soft-deleted sessions are invisible unless asked
 * for; erased ones (deleted permanently, their messages on the way out) are soft-deleted too, and never
 * visible. Plain reads and writes go through TypeORM's query builder on the ChatSession entity; SQL is written
 * out only where one statement does what the builder cannot say well: the owner's row lock and the eviction
 * (an UPDATE … FROM a ranked subquery, so the limit moves in one statement).
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Locks the user's row until commit, on every instance. A row lock lives with the user's data (a database
   * sharded by user takes it on the user's node, where an advisory lock would be one node's only); NO KEY
   * UPDATE leaves the foreign-key checks of the user's appends (KEY SHARE) unblocked.
   */
  async lockOwner(manager: EntityManager, userId: string): Promise<void> {
    await manager.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
  }

  countActive(manager: EntityManager, userId: string, agentType: string): Promise<number> {
    return manager.countBy(ChatSession, { userId, agentType, isActive: true, deletedAt: IsNull() });
  }

  /** Deactivates all but the `keep` most recently used active sessions of the pair; returns their ids. */
  async evictAllButNewest(manager: EntityManager, userId: string, agentType: string, keep: number): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await manager.query(
      `UPDATE chat_sessions s
          SET is_active = false, deactivated_reason = 'session_limit', updated_at = now()
         FROM (SELECT id FROM chat_sessions
                WHERE user_id = $1 AND agent_type = $2 AND is_active AND deleted_at IS NULL
                ORDER BY last_message_at DESC, id DESC
               OFFSET $3) AS victims
        WHERE s.user_id = $1 AND s.id = victims.id
        RETURNING s.id`,
      [userId, agentType, keep],
    );
    return rows.map((row) => row.id);
  }

  async insert(
    manager: EntityManager,
    session: { userId: string; title: string | null; agentType: string; projectId: string | null; metadata: Record<string, unknown> },
  ): Promise<SessionRow> {
    const values = session as SessionSet;
    const { raw } = await manager.createQueryBuilder().insert().into(ChatSession).values(values).returning(RETURNING).execute();
    return (raw as SessionRow[])[0];
  }

  async find(
    userId: string,
    id: string,
    { manager = this.dataSource.manager, includeDeleted = false }: Scope = {},
  ): Promise<SessionRow | null> {
    const query = selectSessionColumns(manager.createQueryBuilder().from(ChatSession, 's')).where('s.id = :id AND s.user_id = :userId', {
      id,
      userId,
    });
    query.andWhere(includeDeleted ? 's.erased_at IS NULL' : 's.deleted_at IS NULL');
    return (await query.getRawOne<SessionRow>()) ?? null;
  }

  /** Row-locks the session for the rest of the transaction and returns it with its deletion state. */
  async lock(manager: EntityManager, userId: string, id: string): Promise<(SessionRow & { deleted: boolean }) | null> {
    const row = await selectSessionColumns(manager.createQueryBuilder().from(ChatSession, 's'))
      .addSelect('s.deleted_at IS NOT NULL', 'deleted')
      .where('s.id = :id AND s.user_id = :userId AND s.erased_at IS NULL', { id, userId })
      .setLock('pessimistic_write')
      .getRawOne<SessionRow & { deleted: boolean }>();
    return row ?? null;
  }

  /** Applies the changes in one UPDATE … RETURNING; null when there is no such (visible) session. */
  async update(
    userId: string,
    id: string,
    changes: SessionChanges,
    { manager = this.dataSource.manager, includeDeleted = false }: Scope = {},
  ) {
    const query = manager
      .createQueryBuilder()
      .update(ChatSession)
      .set({ ...toColumns(changes), ...(changes.state && STATE_SET[changes.state]), updatedAt: () => 'now()' })
      .where('id = :id AND user_id = :userId', { id, userId })
      .returning(RETURNING);
    query.andWhere(includeDeleted ? 'erased_at IS NULL' : 'deleted_at IS NULL');
    const { raw } = await query.execute();
    return (raw as SessionRow[])[0] ?? null;
  }

  /**
   * One page in the requested order plus the total for the filters: two statements, whatever the page holds.
   * With a metadata filter the total is a bounded count (see boundedCount): one more statement, an EXPLAIN,
   * when more than `exactTotalLimit` sessions match.
   */
  async list(
    userId: string,
    filters: SessionFilters,
    order: { by: SessionOrderBy; direction: 'asc' | 'desc' },
    paging: Paging<SessionKey>,
    exactTotalLimit: number,
    manager = this.dataSource.manager,
  ): Promise<{ rows: SessionRow[]; total: BoundedCount }> {
    const filtered = manager
      .createQueryBuilder()
      .from('chat_sessions', 's')
      .where('s.user_id = :userId AND s.deleted_at IS NULL', { userId });
    if (filters.agentType !== undefined) filtered.andWhere('s.agent_type = :agentType', { agentType: filters.agentType });
    if (filters.isActive !== undefined) filtered.andWhere('s.is_active = :isActive', { isActive: filters.isActive });
    if (filters.projectId !== undefined) filtered.andWhere('s.project_id = :projectId', { projectId: filters.projectId });
    if (filters.search !== undefined) filtered.andWhere('s.title ILIKE :search', { search: `%${escapeLike(filters.search)}%` });
    // `<> '{}'` is implied by any non-empty filter; said, it lets the planner use the partial GIN index.
    if (filters.metadata !== undefined) {
      filtered.andWhere(`s.metadata @> CAST(:metadata AS jsonb) AND s.metadata <> '{}'::jsonb`, {
        metadata: JSON.stringify(filters.metadata),
      });
    }

    const page = selectSessionColumns(filtered.clone())
      .orderBy(`s.${order.by}`, order.direction === 'asc' ? 'ASC' : 'DESC')
      .addOrderBy('s.id', order.direction === 'asc' ? 'ASC' : 'DESC')
      .limit(paging.size + 1);
    if (paging.mode === 'page') page.offset(paging.offset);
    else {
      const keyset = keysetPredicate([`s.${order.by}`, 's.id'], order.direction, paging.after);
      page.andWhere(keyset.sql, keyset.params);
    }
    // One statement after the other: a request holds at most one pooled connection.
    const rows = await page.getRawMany<SessionRow>();
    if (filters.metadata !== undefined) {
      const [sql, params] = filtered.select('1').getQueryAndParameters();
      return { rows, total: await boundedCount(manager, { sql, params }, exactTotalLimit) };
    }
    const counted = await filtered.select('count(*)::int', 'total').getRawOne<{ total: number }>();
    return { rows, total: { total: counted?.total ?? 0, isEstimate: false } };
  }

  /**
   * Soft-deletes (or erases) every session of the user that is not already, in one statement, and returns
   * how many sessions and messages it took. Runs under the owner's lock (lockOwner), in the caller's
   * transaction; appends wait for the rows it locks, then find their session deleted.
   */
  async removeAll(manager: EntityManager, userId: string, state: 'soft_delete' | 'erase'): Promise<{ sessions: number; messages: number }> {
    const [sql, params] = manager
      .createQueryBuilder()
      .update(ChatSession)
      .set({ ...STATE_SET[state], updatedAt: () => 'now()' })
      .where('user_id = :userId', { userId })
      .andWhere(state === 'erase' ? 'erased_at IS NULL' : 'deleted_at IS NULL')
      .returning('message_count')
      .getQueryAndParameters();
    const [row] = (await manager.query(
      `WITH gone AS (${sql}) SELECT count(*)::int AS sessions, coalesce(sum(message_count), 0)::bigint AS messages FROM gone`,
      params,
    )) as { sessions: number; messages: string }[];
    return { sessions: row.sessions, messages: Number(row.messages) };
  }
}

/** Only the fields the caller set; `undefined` means "leave as is" (TypeORM would reject it in SET). */
function toColumns(changes: SessionChanges): SessionSet {
  return Object.fromEntries(
    Object.entries({ title: changes.title, metadata: changes.metadata, projectId: changes.project_id }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}

function selectSessionColumns(qb: SelectQueryBuilder<ObjectLiteral>): SelectQueryBuilder<ObjectLiteral> {
  return selectColumns(qb, 's', SESSION_COLUMNS);
}

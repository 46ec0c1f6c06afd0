import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { keysetPredicate, type Paging } from '../common/pagination/pagination.js';
import { escapeLike } from '../common/sql.js';
import type { SessionOrderBy } from './dto/session-request.dto.js';
import type { SessionRow } from './dto/session-response.dto.js';

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

/** State transitions, written once. In SET expressions `is_active` is still the old value. */
const STATE_SQL = {
  activate: 'is_active = true, deactivated_reason = NULL, deleted_at = NULL',
  deactivate: "is_active = false, deactivated_reason = CASE WHEN is_active THEN 'user' ELSE deactivated_reason END",
  end: "is_active = false, deactivated_reason = 'ended'",
  soft_delete: "deleted_at = now(), is_active = false, deactivated_reason = COALESCE(deactivated_reason, 'user')",
} as const;

export interface SessionChanges {
  title?: string | null;
  metadata?: Record<string, unknown>;
  project_id?: string | null;
  state?: keyof typeof STATE_SQL;
}

export interface SessionFilters {
  agentType?: string;
  isActive?: boolean;
  projectId?: string;
  search?: string;
}

export type SessionKey = [string, string];

interface Scope {
  manager?: EntityManager;
  includeDeleted?: boolean;
}

/**
 * Every SQL statement on chat_sessions. Each one is scoped by user_id, so a session of another user is
 * indistinguishable from a missing one. Soft-deleted sessions are invisible unless asked for.
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Transaction-level advisory lock on the (user, agent type) pair: held until commit, on every instance. */
  async lockAgentSlot(manager: EntityManager, userId: string, agentType: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`session-limit:${userId}:${agentType}`]);
  }

  async countActive(manager: EntityManager, userId: string, agentType: string): Promise<number> {
    const [row]: { active: number }[] = await manager.query(
      'SELECT count(*)::int AS active FROM chat_sessions WHERE user_id = $1 AND agent_type = $2 AND is_active AND deleted_at IS NULL',
      [userId, agentType],
    );
    return row.active;
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
        WHERE s.id = victims.id
        RETURNING s.id`,
      [userId, agentType, keep],
    );
    return rows.map((row) => row.id);
  }

  async insert(
    manager: EntityManager,
    session: { userId: string; title: string | null; agentType: string; projectId: string | null; metadata: Record<string, unknown> },
  ): Promise<SessionRow> {
    const [row]: SessionRow[] = await manager.query(
      `INSERT INTO chat_sessions (user_id, title, agent_type, project_id, metadata)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING ${RETURNING}`,
      [session.userId, session.title, session.agentType, session.projectId, session.metadata],
    );
    return row;
  }

  async find(
    userId: string,
    id: string,
    { manager = this.dataSource.manager, includeDeleted = false }: Scope = {},
  ): Promise<SessionRow | null> {
    const [row]: SessionRow[] = await manager.query(
      `SELECT ${RETURNING} FROM chat_sessions WHERE id = $1 AND user_id = $2 ${includeDeleted ? '' : 'AND deleted_at IS NULL'}`,
      [id, userId],
    );
    return row ?? null;
  }

  /** Row-locks the session for the rest of the transaction and returns it with its deletion state. */
  async lock(manager: EntityManager, userId: string, id: string): Promise<(SessionRow & { deleted: boolean }) | null> {
    const [row]: (SessionRow & { deleted: boolean })[] = await manager.query(
      `SELECT ${RETURNING}, deleted_at IS NOT NULL AS deleted FROM chat_sessions WHERE id = $1 AND user_id = $2 FOR UPDATE`,
      [id, userId],
    );
    return row ?? null;
  }

  /** Applies the changes in one UPDATE … RETURNING; null when there is no such (visible) session. */
  async update(
    userId: string,
    id: string,
    changes: SessionChanges,
    { manager = this.dataSource.manager, includeDeleted = false }: Scope = {},
  ) {
    const params: unknown[] = [id, userId];
    const set = ['updated_at = now()'];
    for (const column of ['title', 'metadata', 'project_id'] as const) {
      if (changes[column] !== undefined) {
        params.push(changes[column]);
        set.push(`${column} = $${params.length}`);
      }
    }
    if (changes.state) set.push(STATE_SQL[changes.state]);
    const [rows]: [SessionRow[], number] = await manager.query(
      `UPDATE chat_sessions SET ${set.join(', ')}
        WHERE id = $1 AND user_id = $2 ${includeDeleted ? '' : 'AND deleted_at IS NULL'}
        RETURNING ${RETURNING}`,
      params,
    );
    return rows[0] ?? null;
  }

  /** Deletes the row; messages go with it (ON DELETE CASCADE). */
  async deletePermanently(userId: string, id: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.dataSource.query('DELETE FROM chat_sessions WHERE id = $1 AND user_id = $2', [
      id,
      userId,
    ]);
    return affected > 0;
  }

  /** One page in the requested order plus the total for the filters: two statements, whatever the page holds. */
  async list(
    userId: string,
    filters: SessionFilters,
    order: { by: SessionOrderBy; direction: 'asc' | 'desc' },
    paging: Paging<SessionKey>,
  ): Promise<{ rows: SessionRow[]; total: number }> {
    const filtered = this.dataSource
      .createQueryBuilder()
      .from('chat_sessions', 's')
      .where('s.user_id = :userId AND s.deleted_at IS NULL', { userId });
    if (filters.agentType !== undefined) filtered.andWhere('s.agent_type = :agentType', { agentType: filters.agentType });
    if (filters.isActive !== undefined) filtered.andWhere('s.is_active = :isActive', { isActive: filters.isActive });
    if (filters.projectId !== undefined) filtered.andWhere('s.project_id = :projectId', { projectId: filters.projectId });
    if (filters.search !== undefined) filtered.andWhere('s.title ILIKE :search', { search: `%${escapeLike(filters.search)}%` });

    const page = selectSessionColumns(filtered.clone())
      .orderBy(`s.${order.by}`, order.direction === 'asc' ? 'ASC' : 'DESC')
      .addOrderBy('s.id', order.direction === 'asc' ? 'ASC' : 'DESC')
      .limit(paging.size + 1);
    if (paging.mode === 'page') page.offset(paging.offset);
    else {
      const keyset = keysetPredicate([`s.${order.by}`, 's.id'], order.direction, paging.after);
      page.andWhere(keyset.sql, keyset.params);
    }
    const [rows, counted] = await Promise.all([
      page.getRawMany<SessionRow>(),
      filtered.select('count(*)::int', 'total').getRawOne<{ total: number }>(),
    ]);
    return { rows, total: counted?.total ?? 0 };
  }
}

function selectSessionColumns(qb: SelectQueryBuilder<ObjectLiteral>): SelectQueryBuilder<ObjectLiteral> {
  qb.select('s.id', 'id');
  for (const column of SESSION_COLUMNS.slice(1)) qb.addSelect(`s.${column}`, column);
  return qb;
}

import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/pagination/pagination.js';
import { selectColumns } from '../common/sql.js';
import { ChatSession } from '../sessions/session.entity.js';
import type { MessageRow } from './message-row.js';
import { ChatMessage, type MessageRole } from './message.entity.js';
import {
  APPEND_SQL,
  appendParams,
  historyPageQuery,
  historyPageRows,
  ABOVE_HISTORY_FLOOR,
  MESSAGE_COLUMNS,
  OF_OWNED_SESSION,
  type AppendOptions,
  type NewMessage,
  type NotStoredReason,
} from './messages.sql.js';

/** An append either stored every message or none, and then says why. */
export type AppendResult = { stored: MessageRow[] } | { stored: null; reason: NotStoredReason };

export interface SearchFilters {
  sessionId?: string;
  agentType?: string;
  role?: MessageRole;
}

export interface SearchRow {
  id: string;
  session_id: string;
  session_title: string | null;
  seq: number;
  role: MessageRole;
  agent_type: string;
  snippet: string;
  rank: number;
  created_at: Date;
}

export type SearchKey = [number, string];

/**
 * The statements on chat_messages. Plain reads and writes use TypeORM on the ChatMessage entity; SQL is
 * written out where one statement does what TypeORM cannot say well: the one-statement append (APPEND_SQL),
 * the history page and latest messages (their ownership test is shaped for the planner, see
 * OF_OWNED_SESSION), the per-role rollup and the full-text search. Every statement carries the user's id.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The stored rows in seq order, or why nothing was stored; one statement either way (see APPEND_SQL). */
  async append(
    userId: string,
    sessionId: string,
    messages: NewMessage[],
    { manager = this.dataSource.manager, ...options }: AppendOptions & { manager?: EntityManager } = {},
  ): Promise<AppendResult> {
    const rows: (MessageRow & { not_stored: NotStoredReason | null })[] = await manager.query(
      APPEND_SQL,
      appendParams(userId, sessionId, messages, options),
    );
    const reason = rows[0]?.not_stored;
    if (reason) return { stored: null, reason };
    return { stored: rows.map(({ not_stored: _, ...row }) => row).sort((a, b) => a.seq - b.seq) };
  }

  async page(
    userId: string,
    sessionId: string,
    role: MessageRole | undefined,
    order: 'asc' | 'desc',
    paging: Paging<[number]>,
  ): Promise<{ messageCount: number; rows: MessageRow[] } | null> {
    const { sql, params } = historyPageQuery(userId, sessionId, role, order, paging);
    return historyPageRows(await this.dataSource.query(sql, params));
  }

  async countByRole(userId: string, sessionId: string, role: MessageRole): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM chat_messages WHERE ${OF_OWNED_SESSION} AND role = $3`, [
      sessionId,
      userId,
      role,
    ])) as { count: number }[];
    return row.count;
  }

  /** The latest `limit` messages, oldest first. */
  async latest(userId: string, sessionId: string, limit: number, manager = this.dataSource.manager): Promise<MessageRow[]> {
    const rows: MessageRow[] = await manager.query(
      `SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE ${OF_OWNED_SESSION} ORDER BY seq DESC LIMIT $3`,
      [sessionId, userId, limit],
    );
    return rows.reverse();
  }

  /** A message of a session the user can see (not soft-deleted). */
  async find(userId: string, id: string): Promise<MessageRow | null> {
    const query = selectColumns(this.dataSource.manager.createQueryBuilder().from(ChatMessage, 'm'), 'm', MESSAGE_COLUMNS.split(', '))
      .innerJoin(ChatSession, 's', `s.user_id = m.user_id AND s.id = m.session_id AND s.deleted_at IS NULL AND ${ABOVE_HISTORY_FLOOR}`)
      .where('m.id = :id AND m.user_id = :userId', { id, userId });
    return (await query.getRawOne<MessageRow>()) ?? null;
  }

  async update(
    manager: EntityManager,
    userId: string,
    id: string,
    changes: { content?: string; metadata?: Record<string, unknown> },
  ): Promise<MessageRow> {
    const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const { raw } = await manager
      .createQueryBuilder()
      .update(ChatMessage)
      .set({ ...set, updatedAt: () => 'now()' })
      .where('id = :id AND user_id = :userId', { id, userId })
      .returning(MESSAGE_COLUMNS)
      .execute();
    return (raw as MessageRow[])[0];
  }

  async delete(manager: EntityManager, userId: string, id: string): Promise<{ tokens: number }> {
    const { raw } = await manager
      .createQueryBuilder()
      .delete()
      .from(ChatMessage)
      .where('id = :id AND user_id = :userId', { id, userId })
      .returning('coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) AS tokens')
      .execute();
    return (raw as { tokens: number }[])[0];
  }

  async statsByRole(userId: string, sessionId: string) {
    return this.dataSource.query(
      `SELECT role, count(*)::int AS messages,
              coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
              coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
              min(created_at) AS first_at, max(created_at) AS last_at
         FROM chat_messages WHERE ${OF_OWNED_SESSION} GROUP BY role`,
      [sessionId, userId],
    ) as Promise<
      { role: MessageRole; messages: number; prompt_tokens: number; completion_tokens: number; first_at: Date; last_at: Date }[]
    >;
  }

  /**
   * Full-text search over the user's messages in visible sessions, best first. The inner query ranks the
   * matches and picks the page's ids (keyset on (rank, id) in cursor mode); only those rows are read again
   * for their snippet, since ts_headline over every skipped match is what made deep pages slow. Snippets are
   * HTML-escaped before ts_headline marks the matches, so `<mark>` is the only markup a client receives.
   */
  async search(
    userId: string,
    language: string,
    text: string,
    filters: SearchFilters,
    paging: Paging<SearchKey>,
    manager = this.dataSource.manager,
  ): Promise<{ rows: SearchRow[]; total: number }> {
    const params: unknown[] = [language, text, userId];
    const where = ['m.user_id = $3', 'm.search_vector @@ q.query'];
    if (filters.sessionId) where.push(`m.session_id = $${params.push(filters.sessionId)}`);
    if (filters.agentType) where.push(`m.agent_type = $${params.push(filters.agentType)}`);
    if (filters.role) where.push(`m.role = $${params.push(filters.role)}`);
    const matches = `
      FROM chat_messages m
      JOIN chat_sessions s ON s.user_id = m.user_id AND s.id = m.session_id AND s.deleted_at IS NULL AND ${ABOVE_HISTORY_FLOOR}
      CROSS JOIN (SELECT websearch_to_tsquery($1::regconfig, $2) AS query) q
     WHERE ${where.join(' AND ')}`;
    const countParams = [...params];

    const rank = 'ts_rank(m.search_vector, q.query)';
    const after =
      paging.mode === 'cursor'
        ? `AND (${rank}, m.id) < ($${params.push(paging.after[0])}::real, $${params.push(paging.after[1])}::uuid)`
        : '';
    const limit = `LIMIT $${params.push(paging.size + 1)}`;
    const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
    const escaped = "replace(replace(replace(m.content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')";
    // One statement after the other: a request holds at most one pooled connection.
    const rows: SearchRow[] = await manager.query(
      `SELECT m.id, m.session_id, s.title AS session_title, m.seq, m.role, m.agent_type, m.created_at, page.rank,
              ts_headline($1::regconfig, ${escaped}, page.query, 'StartSel=<mark>, StopSel=</mark>, MinWords=8, MaxWords=30, MaxFragments=2') AS snippet
         FROM (SELECT m.id, q.query, ${rank} AS rank ${matches} ${after}
                ORDER BY rank DESC, m.id DESC ${limit} ${offset}) page
         JOIN chat_messages m ON m.id = page.id AND m.user_id = $3
         JOIN chat_sessions s ON s.user_id = m.user_id AND s.id = m.session_id
        ORDER BY page.rank DESC, page.id DESC`,
      params,
    );
    const [counted] = await manager.query(`SELECT count(*)::int AS total ${matches}`, countParams);
    return { rows, total: counted.total };
  }
}

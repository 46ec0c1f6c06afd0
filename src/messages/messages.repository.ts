import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/pagination/pagination.js';
import type { MessageRow } from './message-row.js';
import type { MessageRole } from './message.entity.js';
import {
  APPEND_SQL,
  appendParams,
  historyPageQuery,
  MESSAGE_COLUMNS,
  OF_OWNED_SESSION,
  type AppendOptions,
  type NewMessage,
} from './messages.sql.js';

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

@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Returns the stored rows in seq order, or [] when nothing was stored (see APPEND_SQL). */
  async append(
    userId: string,
    sessionId: string,
    messages: NewMessage[],
    { manager = this.dataSource.manager, ...options }: AppendOptions & { manager?: EntityManager } = {},
  ): Promise<MessageRow[]> {
    const rows: MessageRow[] = await manager.query(APPEND_SQL, appendParams(userId, sessionId, messages, options));
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** What the caller may know about a session: null if missing or not theirs. */
  async sessionState(
    userId: string,
    sessionId: string,
    manager = this.dataSource.manager,
  ): Promise<{ is_active: boolean; message_count: number } | null> {
    const [row] = await manager.query(
      'SELECT is_active, message_count FROM chat_sessions WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL',
      [sessionId, userId],
    );
    return row ?? null;
  }

  async page(
    userId: string,
    sessionId: string,
    role: MessageRole | undefined,
    order: 'asc' | 'desc',
    paging: Paging<[number]>,
  ): Promise<MessageRow[]> {
    const { sql, params } = historyPageQuery(userId, sessionId, role, order, paging);
    return this.dataSource.query(sql, params);
  }

  async countByRole(userId: string, sessionId: string, role: MessageRole): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM chat_messages WHERE ${OF_OWNED_SESSION} AND role = $3`, [
      sessionId,
      userId,
      role,
    ]);
    return row.n;
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
    const [row] = await this.dataSource.query(
      `SELECT ${prefixed('m')} FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id AND s.deleted_at IS NULL
        WHERE m.id = $1 AND m.user_id = $2`,
      [id, userId],
    );
    return row ?? null;
  }

  /** Row-locks the session holding this message, so counters and the preview change with it. */
  async lockSessionOf(manager: EntityManager, userId: string, messageId: string): Promise<{ session_id: string; last_seq: number } | null> {
    const [row] = await manager.query(
      `SELECT s.id AS session_id, s.last_seq FROM chat_sessions s JOIN chat_messages m ON m.session_id = s.id
        WHERE m.id = $1 AND m.user_id = $2 AND s.deleted_at IS NULL
          FOR UPDATE OF s`,
      [messageId, userId],
    );
    return row ?? null;
  }

  async lockSession(manager: EntityManager, userId: string, sessionId: string): Promise<boolean> {
    const rows = await manager.query('SELECT 1 FROM chat_sessions WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL FOR UPDATE', [
      sessionId,
      userId,
    ]);
    return rows.length > 0;
  }

  async update(manager: EntityManager, id: string, changes: { content?: string; metadata?: Record<string, unknown> }): Promise<MessageRow> {
    const [[row]]: [MessageRow[], number] = await manager.query(
      `UPDATE chat_messages SET content = coalesce($2, content), metadata = coalesce($3, metadata), updated_at = now()
        WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
      [id, changes.content ?? null, changes.metadata ?? null],
    );
    return row;
  }

  async delete(manager: EntityManager, id: string): Promise<{ tokens: number }> {
    const [[row]]: [{ tokens: number }[], number] = await manager.query(
      'DELETE FROM chat_messages WHERE id = $1 RETURNING coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) AS tokens',
      [id],
    );
    return row;
  }

  /** After a delete, inside the same transaction: counters down, preview from the latest remaining message. */
  async afterDelete(manager: EntityManager, sessionId: string, tokens: number): Promise<void> {
    await manager.query(
      `UPDATE chat_sessions
          SET message_count = message_count - 1,
              total_tokens = total_tokens - $2,
              last_message_preview = (SELECT left(content, 200) FROM chat_messages WHERE session_id = $1 ORDER BY seq DESC LIMIT 1),
              updated_at = now()
        WHERE id = $1`,
      [sessionId, tokens],
    );
  }

  async setPreview(manager: EntityManager, sessionId: string, content: string): Promise<void> {
    await manager.query('UPDATE chat_sessions SET last_message_preview = left($2, 200), updated_at = now() WHERE id = $1', [
      sessionId,
      content,
    ]);
  }

  /** Empties the history; the next message gets seq 1 again. The caller holds the session lock. */
  async clear(manager: EntityManager, sessionId: string): Promise<void> {
    await manager.query('DELETE FROM chat_messages WHERE session_id = $1', [sessionId]);
    await manager.query(
      `UPDATE chat_sessions SET message_count = 0, total_tokens = 0, last_seq = 0, last_message_preview = NULL, updated_at = now()
        WHERE id = $1`,
      [sessionId],
    );
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
  ): Promise<{ rows: SearchRow[]; total: number }> {
    const params: unknown[] = [language, text, userId];
    const where = ['m.user_id = $3', 'm.search_vector @@ q.query'];
    if (filters.sessionId) where.push(`m.session_id = $${params.push(filters.sessionId)}`);
    if (filters.agentType) where.push(`m.agent_type = $${params.push(filters.agentType)}`);
    if (filters.role) where.push(`m.role = $${params.push(filters.role)}`);
    const matches = `
      FROM chat_messages m
      JOIN chat_sessions s ON s.id = m.session_id AND s.deleted_at IS NULL
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
    const [rows, [counted]] = await Promise.all([
      this.dataSource.query(
        `SELECT m.id, m.session_id, s.title AS session_title, m.seq, m.role, m.agent_type, m.created_at, page.rank,
                ts_headline($1::regconfig, ${escaped}, page.query, 'StartSel=<mark>, StopSel=</mark>, MinWords=8, MaxWords=30, MaxFragments=2') AS snippet
           FROM (SELECT m.id, q.query, ${rank} AS rank ${matches} ${after}
                  ORDER BY rank DESC, m.id DESC ${limit} ${offset}) page
           JOIN chat_messages m ON m.id = page.id
           JOIN chat_sessions s ON s.id = m.session_id
          ORDER BY page.rank DESC, page.id DESC`,
        params,
      ),
      this.dataSource.query(`SELECT count(*)::int AS total ${matches}`, countParams),
    ]);
    return { rows, total: counted.total };
  }
}

function prefixed(alias: string): string {
  return MESSAGE_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

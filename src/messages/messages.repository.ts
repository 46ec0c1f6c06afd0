import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/pagination/pagination.js';
import type { MessageRow } from './dto/message-response.dto.js';
import { usageUpsertCte } from '../usage/usage.repository.js';
import type { MessageRole } from './message.entity.js';

const COLUMNS = 'id, session_id, seq, role, content, agent_type, model, metadata, prompt_tokens, completion_tokens, created_at, updated_at';

export interface NewMessage {
  role: MessageRole;
  content: string;
  agentType: string | null;
  model: string | null;
  metadata: Record<string, unknown>;
  promptTokens: number | null;
  completionTokens: number | null;
}

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
 * Appends messages in ONE statement: the UPDATE of the session row takes its lock (serialising appends to
 * that session on every instance), hands out the next seq numbers and moves the counters; the INSERT
 * numbers the new rows from there; the usage CTE accounts for them. All of it commits or none of it does.
 * A session that is missing, foreign, deleted or inactive matches nothing, and nothing is written. With
 * $13 true the statement also writes nothing for a user who has quota limits of their own: the caller
 * then takes the quota path (a transaction under the user's quota lock) instead.
 */
export const APPEND_SQL = `
  WITH session AS (
    UPDATE chat_sessions
       SET last_seq = last_seq + $3,
           message_count = message_count + $3,
           total_tokens = total_tokens + $4,
           last_message_at = greatest(last_message_at, now()),
           last_message_preview = left($5, 200),
           updated_at = now()
     WHERE id = $1 AND user_id = $2 AND is_active AND deleted_at IS NULL
       AND NOT ($13::boolean AND EXISTS (
             SELECT 1 FROM users WHERE id = $2 AND (daily_token_limit IS NOT NULL OR daily_message_limit IS NOT NULL)))
     RETURNING id, last_seq - $3 AS base_seq, agent_type
  ), inserted AS (
    INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type, model, metadata, prompt_tokens, completion_tokens)
    SELECT session.id, $2, session.base_seq + m.ord, m.role, m.content, coalesce(m.agent_type, session.agent_type),
           m.model, m.metadata, m.prompt_tokens, m.completion_tokens
      FROM session,
           unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::int[], $12::int[])
             WITH ORDINALITY AS m(role, content, agent_type, model, metadata, prompt_tokens, completion_tokens, ord)
    RETURNING ${COLUMNS}
  ), ${usageUpsertCte('inserted', '$2')}
  SELECT ${COLUMNS} FROM inserted`;

export function appendParams(userId: string, sessionId: string, messages: NewMessage[], unlessUserHasLimits: boolean): unknown[] {
  const tokens = messages.reduce((sum, m) => sum + (m.promptTokens ?? 0) + (m.completionTokens ?? 0), 0);
  return [
    sessionId,
    userId,
    messages.length,
    tokens,
    messages.at(-1)!.content,
    messages.map((m) => m.role),
    messages.map((m) => m.content),
    messages.map((m) => m.agentType),
    messages.map((m) => m.model),
    messages.map((m) => JSON.stringify(m.metadata)),
    messages.map((m) => m.promptTokens),
    messages.map((m) => m.completionTokens),
    unlessUserHasLimits,
  ];
}

@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Returns the stored rows in seq order, or [] when nothing was stored (see APPEND_SQL). */
  async append(
    userId: string,
    sessionId: string,
    messages: NewMessage[],
    { manager = this.dataSource.manager, unlessUserHasLimits = false }: { manager?: EntityManager; unlessUserHasLimits?: boolean } = {},
  ): Promise<MessageRow[]> {
    const rows: MessageRow[] = await manager.query(APPEND_SQL, appendParams(userId, sessionId, messages, unlessUserHasLimits));
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** What the caller may know about a session: null if missing or not theirs. */
  async sessionState(userId: string, sessionId: string): Promise<{ is_active: boolean; message_count: number } | null> {
    const [row] = await this.dataSource.query(
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
    const [row] = await this.dataSource.query(
      'SELECT count(*)::int AS n FROM chat_messages WHERE session_id = $1 AND user_id = $2 AND role = $3',
      [sessionId, userId, role],
    );
    return row.n;
  }

  /** The latest `limit` messages, oldest first. */
  async latest(userId: string, sessionId: string, limit: number): Promise<MessageRow[]> {
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM chat_messages WHERE session_id = $1 AND user_id = $2 ORDER BY seq DESC LIMIT $3`,
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
        WHERE id = $1 RETURNING ${COLUMNS}`,
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
         FROM chat_messages WHERE session_id = $1 AND user_id = $2 GROUP BY role`,
      [sessionId, userId],
    ) as Promise<
      { role: MessageRole; messages: number; prompt_tokens: number; completion_tokens: number; first_at: Date; last_at: Date }[]
    >;
  }

  /**
   * Full-text search over the user's messages in visible sessions, best first. Snippets are HTML-escaped
   * before ts_headline marks the matches, so `<mark>` is the only markup a client receives.
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

    const after =
      paging.mode === 'cursor' ? `WHERE (rank, id) < ($${params.push(paging.after[0])}::real, $${params.push(paging.after[1])}::uuid)` : '';
    const limit = `LIMIT $${params.push(paging.size + 1)}`;
    const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
    const escaped = "replace(replace(replace(content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')";
    const [rows, [counted]] = await Promise.all([
      this.dataSource.query(
        `SELECT id, session_id, session_title, seq, role, agent_type, created_at, rank,
                ts_headline($1::regconfig, ${escaped}, query, 'StartSel=<mark>, StopSel=</mark>, MinWords=8, MaxWords=30, MaxFragments=2') AS snippet
           FROM (SELECT m.id, m.session_id, s.title AS session_title, m.seq, m.role, m.agent_type, m.created_at, m.content, q.query,
                        ts_rank(m.search_vector, q.query) AS rank
                   ${matches}) hits
           ${after}
          ORDER BY rank DESC, id DESC ${limit} ${offset}`,
        params,
      ),
      this.dataSource.query(`SELECT count(*)::int AS total ${matches}`, countParams),
    ]);
    return { rows, total: counted.total };
  }
}

/**
 * One page of a session's history: keyset on the (session_id, seq) unique index in cursor mode, so a page
 * at any depth is an index range scan of page_size + 1 rows; offset only in page mode.
 */
export function historyPageQuery(
  userId: string,
  sessionId: string,
  role: MessageRole | undefined,
  order: 'asc' | 'desc',
  paging: Paging<[number]>,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [sessionId, userId];
  const where = ['session_id = $1', 'user_id = $2'];
  if (role) where.push(`role = $${params.push(role)}`);
  if (paging.mode === 'cursor') where.push(`seq ${order === 'asc' ? '>' : '<'} $${params.push(paging.after[0])}`);
  const limit = `LIMIT $${params.push(paging.size + 1)}`;
  const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
  return { sql: `SELECT ${COLUMNS} FROM chat_messages WHERE ${where.join(' AND ')} ORDER BY seq ${order} ${limit} ${offset}`, params };
}

function prefixed(alias: string): string {
  return COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

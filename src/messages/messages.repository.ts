import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { BoundedCount } from '../common/bounded-count.js';
import type { Paging } from '../common/pagination/pagination.js';
import type { MetadataFilter } from '../common/validation/metadata-filter.js';
import { selectColumns } from '../common/sql.js';
import type { DeletedMessage } from '../sessions/session-counters.js';
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
import { filteredHistoryPage } from './metadata-history.js';
import { SearchStatements, type SearchFilters, type SearchKey, type SearchOrder } from './search.sql.js';

/** An append either stored every message or none, and then says why. */
export type AppendResult = { stored: MessageRow[] } | { stored: null; reason: NotStoredReason };

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

export interface SearchResult {
  rows: SearchRow[];
  total: number;
  totalIsEstimate: boolean;
  order: SearchOrder;
}

/**
 * The statements on chat_messages. Plain reads and writes use TypeORM on the ChatMessage entity; SQL is
 * written out where one statement does what TypeORM cannot say well: the one-statement append (APPEND_SQL),
 * the history page and latest messages (their ownership test is shaped for the planner, see
 * OF_OWNED_SESSION and historyPageQuery) and the full-text search. Every statement carries the user's id.
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

  /**
   * A page of the history and its total. Unfiltered, or by role, the total is a counter on the session row,
   * read by the page's own statement; under a metadata filter see filteredHistoryPage.
   */
  async page(
    userId: string,
    sessionId: string,
    filters: { role?: MessageRole; metadata?: MetadataFilter },
    order: 'asc' | 'desc',
    paging: Paging<[number]>,
    exactTotalLimit: number,
  ): Promise<{ total: BoundedCount; rows: MessageRow[] } | null> {
    const { role, metadata } = filters;
    if (metadata) {
      return this.dataSource.transaction((tx) =>
        filteredHistoryPage(tx, userId, sessionId, { role, metadata }, order, paging, exactTotalLimit),
      );
    }
    const { sql, params } = historyPageQuery(userId, sessionId, role, order, paging);
    const page = historyPageRows(await this.dataSource.query(sql, params));
    return page && { rows: page.rows, total: { total: page.total, isEstimate: false } };
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

  /** Deletes the message and returns what it counted for on its session. */
  async delete(manager: EntityManager, userId: string, id: string): Promise<DeletedMessage> {
    const { raw } = await manager
      .createQueryBuilder()
      .delete()
      .from(ChatMessage)
      .where('id = :id AND user_id = :userId', { id, userId })
      .returning('role, prompt_tokens AS "promptTokens", completion_tokens AS "completionTokens"')
      .execute();
    return (raw as DeletedMessage[])[0];
  }

  /**
   * Full-text search over the user's messages in visible sessions (see SearchStatements). Up to
   * `exactTotalLimit` matches the total is exact and hits come best first; beyond it they come newest first
   * and the total is an estimate (at least the limit + 1): ranking and an exact count both read every match.
   * A cursor keeps the order its walk started in.
   *
   * How to read is decided from estimates. Where the planner expects many matches, a probe of the newest
   * PROBE_WINDOW messages measures how dense they are there; if dense, the count is skipped (the GIN
   * bitmap holds every match: 0.45 s for 250,000) and a walk by recency fills the page, its density giving
   * the estimated total. Otherwise the matches are counted through the GIN index, no further than the
   * limit + 1. Parallel plans are off: every statement here reads a bounded number of rows, and starting
   * workers cost more than that (150-255 ms instead of 2.4 ms for a single match).
   */
  search(
    userId: string,
    language: string,
    text: string,
    filters: SearchFilters,
    paging: Paging<SearchKey>,
    exactTotalLimit: number,
    manager = this.dataSource.manager,
  ): Promise<SearchResult> {
    const statements = new SearchStatements(userId, language, text, filters);
    const many = DENSE_FACTOR * exactTotalLimit;
    return manager.transaction(async (tx) => {
      await tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
      const planned = await plannedRows(tx, statements.estimate());
      let probe = planned > many ? await probeNewest(tx, statements, paging.size) : null;
      let matches: number | null = null;
      if (!(probe && probe.walkable && probe.expected > many)) {
        const count = statements.cappedCount(exactTotalLimit + 1);
        [{ matches }] = (await tx.query(count.sql, count.params)) as { matches: number }[];
      }
      const exact = matches !== null && matches <= exactTotalLimit;
      const order: SearchOrder = paging.mode === 'cursor' ? paging.after[0] : exact ? 'rank' : 'newest';
      if (order === 'newest') {
        probe ??= await probeNewest(tx, statements, paging.size);
        // Left to itself the planner, underestimating a heavy user's matches, reads them all through the bitmap.
        if (probe.walkable) await tx.query('SET LOCAL enable_bitmapscan = off');
      }
      const page = statements.page(order, paging);
      const rows: SearchRow[] = await tx.query(page.sql, page.params);
      const total = exact ? matches! : Math.max(exactTotalLimit + 1, matches ?? 0, probe?.expected ?? planned);
      return { rows, total, totalIsEstimate: !exact, order };
    });
  }
}

/**
 * Newest messages a probe reads; how many times the limit the expected matches must be to skip counting;
 * how many rows a walk by recency may expect to read for one page.
 */
const PROBE_WINDOW = 500;
const DENSE_FACTOR = 2;
const MAX_WALK = 5000;

/** The matches the newest messages predict over all messages under the filters, and whether a walk fills a page soon. */
async function probeNewest(manager: EntityManager, statements: SearchStatements, pageSize: number) {
  const probe = statements.probe(PROBE_WINDOW);
  const [{ read, hits }]: { read: number; hits: number }[] = await manager.query(probe.sql, probe.params);
  const walkable = hits * MAX_WALK >= (pageSize + 1) * read;
  if (read < PROBE_WINDOW) return { expected: hits, walkable };
  const scope = await plannedRows(manager, statements.scopeSize());
  return { expected: Math.round((hits / read) * Math.max(scope, read)), walkable };
}

async function plannedRows(manager: EntityManager, { sql, params }: { sql: string; params: unknown[] }): Promise<number> {
  const [row]: { 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[] = await manager.query(sql, params);
  return Math.round(row['QUERY PLAN'][0].Plan['Plan Rows']);
}

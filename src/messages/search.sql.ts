import type { Paging } from '../common/pagination/pagination.js';
import type { MessageRole } from './message.entity.js';
import { ABOVE_HISTORY_FLOOR } from './messages.sql.js';

export interface SearchFilters {
  sessionId?: string;
  agentType?: string;
  role?: MessageRole;
}

/**
 * How hits are ordered. `rank`: best first, while at most SEARCH_EXACT_TOTAL_LIMIT messages match (ranking
 * reads every match, so it is only done while they are few). `newest`: newest first, for queries matching
 * more; a walk down the user's (or the session's) messages by recency that stops after one page of hits.
 */
export const SEARCH_ORDERS = ['rank', 'newest'] as const;
export type SearchOrder = (typeof SEARCH_ORDERS)[number];

/**
 * Cursor keys; the first element says which order the walk is in, so a walk keeps its order even if the
 * match count crosses the limit meanwhile. `newest` continues after (created_at, id) over the whole history,
 * or after seq within one session (its unique (session_id, seq) index is already in that order).
 */
export type SearchKey = ['rank', number, string] | ['newest', string, string] | ['newest', number];

const QUERY = 'websearch_to_tsquery($1::regconfig, $2)';
const rankOf = (alias: string) => `ts_rank(${alias}.search_vector, ${QUERY})`;
/** HTML-escaped before ts_headline marks the matches, so `<mark>` is the only markup a client receives. */
const snippetOf = (alias: string) =>
  `ts_headline($1::regconfig, replace(replace(replace(${alias}.content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), ${QUERY},
               'StartSel=<mark>, StopSel=</mark>, MinWords=8, MaxWords=30, MaxFragments=2')`;

/**
 * The search statements of one request, sharing their parameters ($1 language, $2 text, $3 user, then the
 * filters). Every statement that counts or returns matches reads them through `from()`, the one place that
 * says which messages a search can see: the user's own, in sessions that are not deleted, above the session's history floor (a cleared history). (The probe and
 * the scope estimate only steer the plan.)
 */
export class SearchStatements {
  readonly params: unknown[];
  /** The filters without the text: the user, then session, agent type, role. */
  private readonly scope: string[];

  constructor(
    userId: string,
    language: string,
    text: string,
    private readonly filters: SearchFilters,
  ) {
    this.params = [language, text, userId];
    this.scope = ['m.user_id = $3'];
    if (filters.sessionId) this.scope.push(`m.session_id = ${this.param(filters.sessionId)}`);
    if (filters.agentType) this.scope.push(`m.agent_type = ${this.param(filters.agentType)}`);
    if (filters.role) this.scope.push(`m.role = ${this.param(filters.role)}`);
  }

  /** The number of matches, counting no further than `cap` (so it costs at most `cap` rows past the index). */
  cappedCount(cap: number): { sql: string; params: unknown[] } {
    const params = [...this.params, cap];
    return { sql: `SELECT count(*)::int AS matches FROM (SELECT 1 ${this.from()} LIMIT $${params.length}) capped`, params };
  }

  /** The planner's estimate of the number of matches, from EXPLAIN: no row is read. */
  estimate(): { sql: string; params: unknown[] } {
    return { sql: `EXPLAIN (FORMAT JSON) SELECT 1 ${this.from()}`, params: [...this.params] };
  }

  /**
   * How dense the matches are at the newest end: of the newest `window` messages under the filters (read in
   * recency order, the text not considered), how many were read and how many match. Costs `window` rows at
   * most, however many messages match in all. Sessions' visibility is left out: this only steers the plan.
   */
  probe(window: number): { sql: string; params: unknown[] } {
    const params = [...this.params, window];
    const sql = `SELECT count(*)::int AS read, (count(*) FILTER (WHERE search_vector @@ ${QUERY}))::int AS hits
                   FROM (SELECT m.search_vector FROM chat_messages m WHERE ${this.scope.join(' AND ')}
                          ORDER BY ${this.newestFirst()
                            .map((key) => `m.${key}`)
                            .join(', ')} LIMIT $${params.length}) newest`;
    return { sql, params };
  }

  /**
   * The planner's estimate of the messages under the filters (the text not considered), from EXPLAIN: no
   * row is read. A session has one user, so its estimate leaves the user out: the planner would take the
   * two as independent and halve a heavy user's session.
   */
  scopeSize(): { sql: string; params: unknown[] } {
    const scope = this.filters.sessionId !== undefined ? this.scope.slice(1) : this.scope;
    // The shared parameters are typed so that the list stays valid; those not in the WHERE decide nothing.
    const sql = `EXPLAIN (FORMAT JSON) SELECT $1::regconfig, $2::text, $3::uuid FROM chat_messages m WHERE ${scope.join(' AND ')}`;
    return { sql, params: [...this.params] };
  }

  /**
   * One page of hits (size + 1 rows) in `order`. The inner query picks the page's rows; rank (in `newest`
   * order) and the snippet are computed in the outer query, so only for the rows returned: ts_headline
   * over every skipped match is what made deep pages slow.
   */
  page(order: SearchOrder, paging: Paging<SearchKey>): { sql: string; params: unknown[] } {
    const params = [...this.params];
    const param = (value: unknown) => `$${params.push(value)}`;
    const bySession = order === 'newest' && this.filters.sessionId !== undefined;
    const sort = order === 'rank' ? ['rank DESC', 'id DESC'] : this.newestFirst();
    const after: string[] = [];
    if (paging.mode === 'cursor') {
      const [, first, second] = paging.after;
      if (order === 'rank') after.push(`(${rankOf('m')}, m.id) < (${param(first)}::real, ${param(second)}::uuid)`);
      else if (bySession) after.push(`m.seq < ${param(first)}::int`);
      else after.push(`(m.created_at, m.id) < (${param(first)}::timestamptz, ${param(second)}::uuid)`);
    }
    const limit = `LIMIT ${param(paging.size + 1)}${paging.mode === 'page' ? ` OFFSET ${param(paging.offset)}` : ''}`;
    const sql = `
      SELECT id, session_id, session_title, seq, role, agent_type, created_at,
             ${order === 'rank' ? 'page.rank' : rankOf('page')} AS rank, ${snippetOf('page')} AS snippet
        FROM (SELECT m.id, m.session_id, s.title AS session_title, m.seq, m.role, m.agent_type, m.created_at,
                     m.content, m.search_vector${order === 'rank' ? `, ${rankOf('m')} AS rank` : ''}
                ${this.from(after)}
               ORDER BY ${sort.map((key) => (key.startsWith('rank') ? key : `m.${key}`)).join(', ')} ${limit}) page
       ORDER BY ${sort.join(', ')}`;
    return { sql, params };
  }

  /** Newest first: by seq within one session (its (session_id, seq) index), else by (created_at, id). */
  private newestFirst(): string[] {
    return this.filters.sessionId !== undefined ? ['seq DESC'] : ['created_at DESC', 'id DESC'];
  }

  private param(value: unknown): string {
    return `$${this.params.push(value)}`;
  }

  /**
   * The visible matches: the user's messages in sessions of the same user that are not deleted. The one
   * session join of search; a rule hiding more of a session's messages belongs here. The join is a
   * LATERAL lookup per match (OFFSET 0 keeps the planner from flattening it) rather than a hash of all
   * the user's sessions: a search reads a bounded number of matches, and hashing 10,000 sessions cost
   * more than the search itself.
   */
  private from(extra: string[] = []): string {
    return `FROM chat_messages m
            JOIN LATERAL (SELECT s.title FROM chat_sessions s
                           WHERE s.user_id = $3 AND s.id = m.session_id AND s.deleted_at IS NULL AND ${ABOVE_HISTORY_FLOOR}
                          OFFSET 0) s ON true
           WHERE ${[...this.scope, `m.search_vector @@ ${QUERY}`, ...extra].join(' AND ')}`;
  }
}

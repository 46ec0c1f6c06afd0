import type { EntityManager } from 'typeorm';
import { boundedCount, type BoundedCount } from '../common/bounded-count.js';
import type { Paging } from '../common/pagination/pagination.js';
import type { MetadataFilter } from '../common/validation/metadata-filter.js';
import type { MessageRow } from './message-row.js';
import type { MessageRole } from './message.entity.js';
import { historyPageQuery, historyPageRows, metadataContains, OF_OWNED_SESSION } from './messages.sql.js';

/**
 * A history under a metadata filter. No counter knows how many messages match, and the planner cannot know
 * how the filter and the role go together, so a probe of the newest PROBE_WINDOW messages measures it.
 * PROBE_WINDOW: newest messages the probe reads; MAX_WALK: rows a walk in seq order may expect to read for
 * one page before the GIN index is the better way.
 */
const PROBE_WINDOW = 500;
const MAX_WALK = 5000;

/**
 * Inside `manager`'s transaction (it sets plan options with SET LOCAL): the probe decides the plan and the
 * total. Dense matches: the page walks the seq index (a page costs page_size / density rows) and the total
 * is the density times the history's count, unless that is near the limit. Sparse ones: the page and a
 * bounded count read the matches through chat_messages_user_metadata_idx, which holds the role too, so
 * "role and filter" is one intersection in the index however the two correlate. A history shorter than the
 * window is counted by the probe itself. Null when there is no such session.
 */
export async function filteredHistoryPage(
  manager: EntityManager,
  userId: string,
  sessionId: string,
  { role, metadata }: { role?: MessageRole; metadata: MetadataFilter },
  order: 'asc' | 'desc',
  paging: Paging<[number]>,
  exactTotalLimit: number,
): Promise<{ total: BoundedCount; rows: MessageRow[] } | null> {
  const probe = historyProbeQuery(userId, sessionId, role, metadata);
  const [{ read, hits }]: { read: number; hits: number }[] = await manager.query(probe.sql, probe.params);
  const dense = hits * MAX_WALK >= (paging.size + 1) * read;
  await readMatchesBy(manager, dense ? 'walk' : 'index');
  const { sql, params } = historyPageQuery(userId, sessionId, role, order, paging, metadata);
  const page = historyPageRows(await manager.query(sql, params));
  if (!page) return null;
  if (read < PROBE_WINDOW) return { rows: page.rows, total: { total: hits, isEstimate: false } };
  const expected = Math.round((hits / read) * page.total);
  if (expected > 2 * exactTotalLimit) return { rows: page.rows, total: { total: expected, isEstimate: true } };
  await readMatchesBy(manager, 'index');
  return { rows: page.rows, total: await boundedCount(manager, historyMatchesQuery(userId, sessionId, role, metadata), exactTotalLimit) };
}

/** The visible messages of the session under the role, as `FROM … WHERE …` with $1 session, $2 user, $3 filter. */
function scope(userId: string, sessionId: string, role: MessageRole | undefined, metadata: MetadataFilter | null) {
  const params: unknown[] = [sessionId, userId];
  const where = [OF_OWNED_SESSION];
  if (metadata) where.push(metadataContains('metadata', `$${params.push(JSON.stringify(metadata))}`));
  if (role) where.push(`role = $${params.push(role)}`);
  return { from: `FROM chat_messages WHERE ${where.join(' AND ')}`, params };
}

/**
 * Of the newest PROBE_WINDOW messages under the role (the text of the filter not considered), how many were
 * read and how many match: an index range of at most that many rows, however large the history.
 */
/**
 * `walk`: in seq order along the btree, filtering (no bitmap); `index`: the matches through the GIN index
 * (no plain index scan). Never both off, which would leave only a sequential scan of the table.
 */
async function readMatchesBy(manager: EntityManager, how: 'walk' | 'index'): Promise<void> {
  await manager.query(`SELECT set_config('enable_bitmapscan', $1, true), set_config('enable_indexscan', $2, true)`, [
    how === 'index' ? 'on' : 'off',
    how === 'walk' ? 'on' : 'off',
  ]);
}

function historyProbeQuery(userId: string, sessionId: string, role: MessageRole | undefined, metadata: MetadataFilter) {
  const { from, params } = scope(userId, sessionId, role, null);
  const filter = `$${params.push(JSON.stringify(metadata))}::jsonb`;
  return {
    sql: `SELECT count(*)::int AS read, (count(*) FILTER (WHERE metadata @> ${filter}))::int AS hits
            FROM (SELECT metadata ${from} ORDER BY seq DESC LIMIT ${PROBE_WINDOW}) newest`,
    params,
  };
}

/** The matching messages, for a bounded count (boundedCount). */
function historyMatchesQuery(userId: string, sessionId: string, role: MessageRole | undefined, metadata: MetadataFilter) {
  const { from, params } = scope(userId, sessionId, role, metadata);
  return { sql: `SELECT 1 ${from}`, params };
}

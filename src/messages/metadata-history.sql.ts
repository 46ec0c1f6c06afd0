import type { MetadataFilter } from '../common/validation/metadata-filter.js';
import type { MessageRole } from './message.entity.js';
import { metadataContains, OF_OWNED_SESSION } from './messages.sql.js';

/**
 * The statements a history under a metadata filter adds to the page (historyPageQuery with the filter). No
 * counter knows how many messages match, and the planner cannot know how the filter and the role go
 * together, so a probe of the newest messages measures it; see MessagesRepository.filteredPage.
 */
export const PROBE_WINDOW = 500;

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
export function historyProbeQuery(userId: string, sessionId: string, role: MessageRole | undefined, metadata: MetadataFilter) {
  const { from, params } = scope(userId, sessionId, role, null);
  const filter = `$${params.push(JSON.stringify(metadata))}::jsonb`;
  return {
    sql: `SELECT count(*)::int AS read, (count(*) FILTER (WHERE metadata @> ${filter}))::int AS hits
            FROM (SELECT metadata ${from} ORDER BY seq DESC LIMIT ${PROBE_WINDOW}) newest`,
    params,
  };
}

/** The matching messages, for a bounded count (boundedCount). */
export function historyMatchesQuery(userId: string, sessionId: string, role: MessageRole | undefined, metadata: MetadataFilter) {
  const { from, params } = scope(userId, sessionId, role, metadata);
  return { sql: `SELECT 1 ${from}`, params };
}

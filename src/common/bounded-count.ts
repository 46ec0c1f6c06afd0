import type { EntityManager } from 'typeorm';

export interface BoundedCount {
  total: number;
  /** True when more than the limit matched: `total` is then the planner's estimate, at least the limit + 1. */
  isEstimate: boolean;
}

/**
 * The number of rows `select` (a SELECT without ORDER BY or LIMIT) returns, reading no more than `limit` + 1
 * of them, so a filter that matches half a million rows costs what one matching a thousand does. Beyond the
 * limit the count stops and the planner's estimate stands in (EXPLAIN reads no row).
 */
export async function boundedCount(
  manager: EntityManager,
  { sql, params }: { sql: string; params: unknown[] },
  limit: number,
): Promise<BoundedCount> {
  const capped = `SELECT count(*)::int AS total FROM (${sql} LIMIT ${Math.trunc(limit) + 1}) capped`;
  const [{ total }] = (await manager.query(capped, params)) as { total: number }[];
  if (total <= limit) return { total, isEstimate: false };
  const [plan] = (await manager.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as { 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[];
  return { total: Math.max(limit + 1, Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows'])), isEstimate: true };
}

import { round } from '../load.js';
import type { ScaleConfig } from './config.js';
import { PLANTED, type ScaleWorld } from './load.js';

export interface RouteResult {
  route: string;
  /** The request as sent, ids shortened. */
  request: string;
  n: number;
  p50_ms: number | null;
  p99_ms: number | null;
  statuses: Record<string, number>;
  response_bytes: number | null;
  /** `total` of the last response, when it has one (search hits, list totals). */
  total?: number;
  note?: string;
}

interface RouteSpec {
  route: string;
  method?: 'GET' | 'POST';
  path: string | null;
  body?: string;
  token: string;
  note?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function timedRequest(
  url: string,
  init: RequestInit,
): Promise<{ ms: number; status: number; bytes: number; body: ArrayBuffer }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status, bytes: body.byteLength, body };
}

function init(spec: { method?: string; body?: string; token: string }): RequestInit {
  const headers: Record<string, string> = { authorization: `Bearer ${spec.token}` };
  if (spec.body) headers['content-type'] = 'application/json';
  return { method: spec.method ?? 'GET', headers, body: spec.body };
}

/** Sequential requests (one connection): `warmup` unmeasured, then up to `requests` measured. */
async function measureRoute(baseUrl: string, spec: RouteSpec, config: ScaleConfig): Promise<RouteResult> {
  const request = `${spec.method ?? 'GET'} ${spec.path?.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, (id) => `{${id.slice(0, 4)}}`) ?? '—'}`;
  if (spec.path === null)
    return { route: spec.route, request, n: 0, p50_ms: null, p99_ms: null, statuses: {}, response_bytes: null, note: spec.note };
  const url = `${baseUrl}${spec.path}`;
  for (let i = 0; i < config.warmup; i++) await timedRequest(url, init(spec));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  let last: ArrayBuffer | null = null;
  const started = Date.now();
  for (let i = 0; i < config.requests; i++) {
    const result = await timedRequest(url, init(spec));
    latencies.push(result.ms);
    statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    bytes = result.bytes;
    last = result.body;
    if (config.routeBudgetS > 0 && latencies.length >= 10 && Date.now() - started > config.routeBudgetS * 1000) break;
  }
  latencies.sort((a, b) => a - b);
  return {
    route: spec.route,
    request,
    n: latencies.length,
    p50_ms: round(percentile(latencies, 50), 1),
    p99_ms: round(percentile(latencies, 99), 1),
    statuses,
    response_bytes: bytes,
    total: totalOf(last),
    note: spec.note,
  };
}

function totalOf(body: ArrayBuffer | null): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(body ?? new ArrayBuffer(0)).toString('utf8')) as { total?: unknown };
    return typeof parsed.total === 'number' ? parsed.total : undefined;
  } catch {
    return undefined;
  }
}

async function json(url: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * A cursor `depth` rows into the listing `query` of S: from one page-mode request when the service still
 * answers it (its next_cursor is the cursor after that page), else by walking the cursor (page_size 200).
 */
async function cursorAtDepth(
  baseUrl: string,
  path: string,
  token: string,
  depth: number,
  log: (m: string) => void,
): Promise<{ cursor: string | null; how: string }> {
  if (depth < 50) return { cursor: null, how: 'too shallow' };
  const sep = path.includes('?') ? '&' : '?';
  const page = Math.floor(depth / 50);
  const viaPage = await json(`${baseUrl}${path}${sep}page=${page}&page_size=50`, token);
  if (viaPage.status === 200 && typeof viaPage.body.next_cursor === 'string')
    return { cursor: viaPage.body.next_cursor, how: `page ${page}` };
  log(`page ${page} of ${path} answered ${viaPage.status}: walking the cursor to depth ${depth}`);
  let cursor: string | null = null;
  let reached = 0;
  const started = Date.now();
  while (reached < depth) {
    const size = Math.min(200, depth - reached);
    const { status, body } = await json(
      `${baseUrl}${path}${sep}page_size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    if (status !== 200 || typeof body.next_cursor !== 'string') return { cursor: null, how: `walk failed at ${reached} (${status})` };
    reached += (body.data as unknown[]).length;
    cursor = body.next_cursor;
    if (Date.now() - started > 300_000) return { cursor: null, how: `walk gave up at ${reached} after 300 s` };
  }
  return { cursor, how: `walked ${reached} rows` };
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Every route of issue #12's table, for H (and the admin), measured at one step. */
export async function measureStep(
  baseUrl: string,
  world: ScaleWorld,
  tokens: { heavy: string; admin: string },
  config: ScaleConfig,
  log: (m: string) => void,
): Promise<RouteResult[]> {
  const S = world.sessionS;
  const history = `/api/v1/sessions/${S}/messages`;
  const users = Math.ceil(world.sMessages / 2);
  const roleDepth = Math.floor(users * 0.9);
  const plainDepth = Math.floor(world.sMessages * 0.9);
  const offsetPage = Math.max(1, Math.floor(plainDepth / 50));
  const roleCursor = await cursorAtDepth(baseUrl, `${history}?role=user`, tokens.heavy, roleDepth, log);
  const plainCursor = await cursorAtDepth(baseUrl, history, tokens.heavy, plainDepth, log);
  const range = `from=${utcDay(Date.now() - 89 * 86_400_000)}&to=${utcDay(Date.now())}`;
  const search = (word: string, inS: boolean) => `/api/v1/messages/search?q=${word}${inS ? `&session_id=${S}` : ''}`;
  const heavy = tokens.heavy;
  const specs: RouteSpec[] = [
    { route: 'GET /sessions/{S}/stats', path: `/api/v1/sessions/${S}/stats`, token: heavy },
    { route: 'GET /sessions/{S}/messages (first page)', path: history, token: heavy },
    { route: 'GET /sessions/{S}/messages?role=user (first page)', path: `${history}?role=user`, token: heavy },
    {
      route: `GET /sessions/{S}/messages?role=user (cursor at 90%)`,
      path: roleCursor.cursor ? `${history}?role=user&cursor=${encodeURIComponent(roleCursor.cursor)}` : null,
      token: heavy,
      note: `depth ${roleDepth}: ${roleCursor.how}`,
    },
    {
      route: `GET /sessions/{S}/messages?page=N (offset at 90%)`,
      path: `${history}?page=${offsetPage}`,
      token: heavy,
      note: `page=${offsetPage}`,
    },
    {
      route: 'GET /sessions/{S}/messages (cursor at 90%)',
      path: plainCursor.cursor ? `${history}?cursor=${encodeURIComponent(plainCursor.cursor)}` : null,
      token: heavy,
      note: `depth ${plainDepth}: ${plainCursor.how}`,
    },
    { route: 'search, word in 50% of H’s messages', path: search(PLANTED.half, false), token: heavy },
    { route: 'search, word in 50%, session_id=S', path: search(PLANTED.half, true), token: heavy },
    { route: 'search, word in 1%', path: search(PLANTED.cent, false), token: heavy },
    { route: 'search, word in 1%, session_id=S', path: search(PLANTED.cent, true), token: heavy },
    { route: 'search, one match', path: search(PLANTED.solo, false), token: heavy },
    { route: 'search, one match, session_id=S', path: search(PLANTED.solo, true), token: heavy },
    { route: 'GET /usage?group_by=day (90 days)', path: `/api/v1/usage?group_by=day&${range}`, token: heavy },
    { route: 'GET /usage?group_by=model (90 days)', path: `/api/v1/usage?group_by=model&${range}`, token: heavy },
    { route: 'GET /usage?group_by=session (90 days)', path: `/api/v1/usage?group_by=session&${range}`, token: heavy },
    { route: `GET /sessions?search=${PLANTED.title}`, path: `/api/v1/sessions?search=${PLANTED.title}`, token: heavy },
    { route: 'GET /admin/usage (all users, 90 days)', path: `/api/v1/admin/usage?${range}`, token: tokens.admin },
    {
      route: 'POST /sessions/{S}/messages (append)',
      method: 'POST',
      path: history,
      body: JSON.stringify({ role: 'user', content: `scale bench append: ${'lorem ipsum dolor '.repeat(10)}` }),
      token: heavy,
    },
  ];
  const results: RouteResult[] = [];
  for (const spec of specs) {
    const result = await measureRoute(baseUrl, spec, config);
    log(
      `  ${spec.route}: p50 ${result.p50_ms ?? '—'} ms, p99 ${result.p99_ms ?? '—'} ms ${JSON.stringify(result.statuses)}${result.total === undefined ? '' : ` total ${result.total}`}`,
    );
    results.push(result);
  }
  return results;
}

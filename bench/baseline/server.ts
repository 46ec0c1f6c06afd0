/**
 * The raw baseline: Fastify + pg, no Nest, no ORM, no auth (the user id comes in `x-user-id`), running the
 * service's own hot-path SQL (imported from the compiled dist/src/messages/messages.sql.js) with the same
 * pool size, and answering the same JSON. It is the floor of what Node and PostgreSQL do on this machine.
 *
 * Env: DATABASE_URL, PORT, DATABASE_POOL_SIZE (default 10), JWT_SECRET (signs next_cursor like the service).
 */
import Fastify from 'fastify';
import pg from 'pg';
import { createHmac } from 'node:crypto';
import type * as MessagesSql from '../../src/messages/messages.sql.js';
import type * as MessageRowModule from '../../src/messages/message-row.js';
import { importDist } from '../lib/paths.js';

const { APPEND_SQL, appendParams, historyPageQuery, historyPageRows } =
  await importDist<typeof MessagesSql>('src/messages/messages.sql.js');
const { toMessageResponse } = await importDist<typeof MessageRowModule>('src/messages/message-row.js');
type MessageRow = MessageRowModule.MessageRow;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = ['user', 'assistant', 'system', 'tool'] as const;
type Role = (typeof ROLES)[number];
const HISTORY_PAGE = { defaultSize: 50, maxSize: 200 };
const MAX_CONTENT = 10_000;

const secret = process.env.JWT_SECRET ?? 'baseline-secret-baseline-secret-baseline';
const cursorKey = createHmac('sha256', secret).update('pagination-cursor-v1').digest();
/** The service's cursor format (base64url key + truncated HMAC over scope and key), so responses match. */
function encodeCursor(scope: string, key: readonly number[]): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  const signature = createHmac('sha256', cursorKey).update(scope).update('\n').update(payload).digest().subarray(0, 16);
  return `${payload}.${signature.toString('base64url')}`;
}

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  connectionTimeoutMillis: 3000,
  statement_timeout: 30_000,
  idle_in_transaction_session_timeout: 60_000,
  application_name: 'bench-baseline',
});

const problem = (status: number, code: string) => ({ type: 'about:blank', status, code });

const app = Fastify({ logger: false, bodyLimit: 1_048_576 });

app.get('/health', async () => ({ status: 'ok' }));

app.post<{ Params: { id: string }; Body: { role?: unknown; content?: unknown; metadata?: unknown } }>(
  '/api/v1/sessions/:id/messages',
  async (request, reply) => {
    const userId = request.headers['x-user-id'];
    const sessionId = request.params.id;
    if (typeof userId !== 'string' || !UUID.test(userId)) return reply.code(401).send(problem(401, 'unauthorized'));
    if (!UUID.test(sessionId)) return reply.code(400).send(problem(400, 'validation_failed'));
    const { role, content, metadata = {} } = request.body ?? {};
    if (!ROLES.includes(role as Role) || typeof content !== 'string' || content.length < 1 || content.length > MAX_CONTENT) {
      return reply.code(400).send(problem(400, 'validation_failed'));
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      return reply.code(400).send(problem(400, 'validation_failed'));
    }
    const message = {
      role: role as Role,
      content,
      agentType: null,
      model: null,
      metadata: metadata as Record<string, unknown>,
      promptTokens: null,
      completionTokens: null,
    };
    const { rows } = await pool.query<MessageRow & { not_stored: string | null }>(
      APPEND_SQL,
      appendParams(userId, sessionId, [message], { unlessUserHasLimits: role === 'user' }),
    );
    if (rows[0].not_stored) {
      return rows[0].not_stored === 'inactive'
        ? reply.code(409).send(problem(409, 'session_inactive'))
        : reply.code(404).send(problem(404, 'session_not_found'));
    }
    return reply.code(201).send(toMessageResponse(rows[0]));
  },
);

app.get<{ Params: { id: string }; Querystring: { order?: string; page_size?: string } }>(
  '/api/v1/sessions/:id/messages',
  async (request, reply) => {
    const userId = request.headers['x-user-id'];
    const sessionId = request.params.id;
    if (typeof userId !== 'string' || !UUID.test(userId)) return reply.code(401).send(problem(401, 'unauthorized'));
    const order = request.query.order ?? 'asc';
    const size = request.query.page_size === undefined ? HISTORY_PAGE.defaultSize : Number(request.query.page_size);
    if (
      !UUID.test(sessionId) ||
      (order !== 'asc' && order !== 'desc') ||
      !Number.isInteger(size) ||
      size < 1 ||
      size > HISTORY_PAGE.maxSize
    ) {
      return reply.code(400).send(problem(400, 'validation_failed'));
    }
    const paging = { mode: 'page' as const, size, page: 1, offset: 0 };
    const { sql, params } = historyPageQuery(userId, sessionId, undefined, order, paging);
    // As the service does: the ownership check, the count and the page in one statement.
    const page = historyPageRows((await pool.query<MessageRow & { page_total: number }>(sql, params)).rows);
    if (!page) return reply.code(404).send(problem(404, 'session_not_found'));
    const { rows } = page;
    const hasMore = rows.length > size;
    const pageRows = hasMore ? rows.slice(0, size) : rows;
    const last = pageRows.at(-1);
    const scope = JSON.stringify(['messages', sessionId, order, null]);
    return {
      data: pageRows.map(toMessageResponse),
      total: page.total,
      page: 1,
      page_size: size,
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor(scope, [last.seq]) : null,
    };
  },
);

const port = Number(process.env.PORT ?? 0);
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`baseline listening on http://127.0.0.1:${port}\n`);

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

import http from 'node:http';
import type pg from 'pg';
import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { fixture, IMPORT, messageLine, NDJSON, ndjson, sessionLine, userLine } from './support/import-lines.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';

describe('import limits and quotas', () => {
  let t: TestApp & { url: string };
  let db: pg.Pool;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_MAX_BYTES: '1048576', IMPORT_MAX_CONVERSATION_BYTES: '8192', DEFAULT_DAILY_MESSAGE_LIMIT: '1' });
    db = testPool();
    user = await registerUser(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  /** Sends `body` chunk by chunk over a real socket and stops as soon as an answer arrives. */
  function stream(chunks: Iterable<string>, headers: Record<string, string>) {
    return new Promise<{ status: number; body: Record<string, unknown>; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = http.request(
        `${t.url}${IMPORT}`,
        { method: 'POST', headers: { ...user.auth, 'Content-Type': NDJSON, ...headers } },
        (res) => {
          answered = true;
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), sent }));
        },
      );
      req.on('error', (error) => (answered ? undefined : reject(error)));
      const pump = async () => {
        for (const chunk of chunks) {
          if (answered || req.destroyed) return;
          sent += chunk.length;
          if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained));
        }
        req.end();
      };
      void pump().catch(() => undefined);
    });
  }

  it('413 at once when Content-Length is over IMPORT_MAX_BYTES, without reading the body', async () => {
    const started = performance.now();
    const res = await stream([ndjson([userLine])], { 'Content-Length': String(10 * 1024 ** 3) });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    expect(res.body.detail).toMatch(/IMPORT_MAX_BYTES \(1048576 bytes\)/);
  });

  it('413 as soon as a streamed body passes IMPORT_MAX_BYTES, saying what was stored before', async () => {
    function* endless() {
      yield ndjson([userLine]);
      for (let i = 0; i < 25_000; i++) {
        const session = sessionLine();
        yield ndjson([session, messageLine(session, 1, { content: 'c'.repeat(4000) })]);
      }
    }
    const res = await stream(endless(), {});
    expect(res).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    expect(res.body.detail).toMatch(
      /(conversations were|conversation was) stored before that point; importing the same body again skips them/,
    );
    // Stopped near the limit: far from the 100 MB the client would have sent.
    expect(res.sent).toBeLessThan(8 * 1024 * 1024);
    const stored = await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1', [user.id]);
    expect(stored.rows[0].n).toBeGreaterThan(0);
    expect(stored.rows[0].n).toBeLessThan(250);
    expect(res.body.detail).toContain(` ${stored.rows[0].n} conversation`);
  });

  it('fails a conversation over IMPORT_MAX_CONVERSATION_BYTES alone, in both formats', async () => {
    const who = await registerUser(t);
    const big = sessionLine();
    const small = sessionLine();
    const lines = [
      userLine,
      big,
      ...[1, 2, 3].map((seq) => messageLine(big, seq, { content: 'b'.repeat(3000) })),
      small,
      messageLine(small, 1),
    ];
    const res = await request(t.server).post(IMPORT).set(who.auth).set('Content-Type', NDJSON).send(ndjson(lines)).expect(200);
    expect(res.body.conversations).toEqual({ imported: 1, skipped: 0, failed: 1 });
    expect(res.body.failures[0]).toMatchObject({
      index: 0,
      id: big.id,
      reason: 'is larger than IMPORT_MAX_CONVERSATION_BYTES (8192 bytes)',
    });

    const parsed = JSON.parse(fixture) as Record<string, unknown>[];
    const padded = { ...parsed[0], padding: 'p'.repeat(9000) };
    const json = await request(t.server)
      .post(IMPORT)
      .set(who.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([padded, parsed[3]]));
    expect(json.body.conversations).toEqual({ imported: 1, skipped: 0, failed: 1 });
    expect(json.body.failures[0]).toMatchObject({ index: 0, reason: 'is larger than IMPORT_MAX_CONVERSATION_BYTES (8192 bytes)' });
  });

  it('works for a user at their daily limit, and leaves their quota as it was', async () => {
    const who = await registerUser(t);
    const session = (await request(t.server).post(`${API}/sessions`).set(who.auth).send({}).expect(201)).body;
    await request(t.server).post(`${API}/sessions/${session.id}/messages`).set(who.auth).send({ role: 'user', content: 'one' }).expect(201);
    const blocked = await request(t.server)
      .post(`${API}/sessions/${session.id}/messages`)
      .set(who.auth)
      .send({ role: 'user', content: 'two' });
    expectProblem(blocked, 429, 'quota_exceeded');
    const quota = (await request(t.server).get(`${API}/usage/quota`).set(who.auth).expect(200)).body;

    const imported = sessionLine({ created_at: new Date().toISOString() });
    const lines = [userLine, imported, ...[1, 2, 3].map((seq) => messageLine(imported, seq, { created_at: new Date().toISOString() }))];
    const res = await request(t.server).post(IMPORT).set(who.auth).set('Content-Type', NDJSON).send(ndjson(lines)).expect(200);
    expect(res.body).toMatchObject({ conversations: { imported: 1 }, messages_imported: 3 });
    expect((await request(t.server).get(`${API}/usage/quota`).set(who.auth).expect(200)).body).toEqual(quota);
    expect(quota).toMatchObject({ daily_message_limit: 1, messages_today: 1, tokens_used_today: 0 });
    // The active session the user had is untouched by the import: imports never make a session active or evict one.
    const active = (await request(t.server).get(`${API}/sessions/${session.id}`).set(who.auth).expect(200)).body;
    expect(active.is_active).toBe(true);
  });
});

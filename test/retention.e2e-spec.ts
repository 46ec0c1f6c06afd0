import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import request from 'supertest';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';
import { RetentionJob } from '../src/retention/retention.job.js';
import {
  ANONYMIZED_CONTENT,
  CANDIDATES,
  CLAIM_ANONYMIZE_SQL,
  countSql,
  eraseBatchSql,
  RETENTION_ACTIONS,
  type RetentionAction,
} from '../src/retention/retention.sql.js';
import { LeaseLost, RetentionStore } from '../src/retention/retention.store.js';
import { API, registerUser, type TestUser } from './support/factories.js';
import { IMPORT, type Line, messageLine, NDJSON, ndjson, sessionLine, userLine } from './support/import-lines.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { testDatabaseUrl, testEnv } from './support/test-env.js';

/**
 * The job works across users, so every run here is limited to this spec's own users (`onlyUsers`): the
 * specs share one database. Tiny batches make even this small data take several transactions.
 */
const SETTINGS = { RETENTION_BATCH_SIZE: '2', CHAT_INACTIVE_RETENTION_DAYS: '30', RETENTION_MODE: 'anonymize' };

describe('retention', () => {
  const db = testPool();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(SETTINGS), createTestApp(SETTINGS)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await db.end();
  });

  const job = (t: TestApp = a) => t.app.get(RetentionJob);
  const api = (user: TestUser, method: 'get' | 'post' | 'patch' | 'delete', path: string, t: TestApp = a) =>
    request(t.server)[method](`${API}${path}`).set(user.auth);

  /** A session with `messages` messages (metadata, usage, a word to search for), ended unless `active`. */
  async function session(user: TestUser, { messages = 3, active = false, word = 'zebra' } = {}): Promise<string> {
    const { id } = (
      await api(user, 'post', '/sessions')
        .send({ title: `about ${word}`, metadata: { project: 'apollo' } })
        .expect(201)
    ).body;
    const batch = Array.from({ length: messages }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `${word} message ${i}`,
      model: 'gpt-test',
      metadata: { is_fortune: true },
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    }));
    if (messages > 0) await api(user, 'post', `/sessions/${id}/messages/batch`).send({ messages: batch }).expect(201);
    if (!active) await api(user, 'post', `/sessions/${id}/end`).expect(200);
    return id;
  }

  const backdate = (id: string, column: 'last_message_at' | 'deleted_at' | 'imported_at', days: number) =>
    db.query(`UPDATE chat_sessions SET ${column} = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);

  const row = async (id: string) => (await db.query('SELECT * FROM chat_sessions WHERE id = $1', [id])).rows[0];
  const erasuresOf = async (ids: string[]) =>
    (await db.query<{ session_id: string }>(`SELECT session_id FROM erasures WHERE session_id = ANY($1::uuid[])`, [ids])).rows.map(
      (r) => r.session_id,
    );

  describe('soft-deleted sessions', () => {
    it('are purged after CHAT_SESSION_CLEANUP_DAYS through the erasure queue, the young ones kept, with progress logged', async () => {
      const user = await registerUser(a);
      const old = [await session(user), await session(user), await session(user)];
      const young = await session(user);
      for (const id of [...old, young]) await api(user, 'delete', `/sessions/${id}`).expect(204);
      for (const [i, id] of old.entries()) await backdate(id, 'deleted_at', 31 + i);
      await backdate(young, 'deleted_at', 29);

      const log = jest.spyOn(Logger.prototype, 'log');
      const report = await job().run({ onlyUsers: [user.id] });
      const lines = log.mock.calls.map(([message]) => String(message));
      log.mockRestore();
      expect(report.actions.find((r) => r.action === 'purge')).toEqual({ action: 'purge', sessions: 3, messages: 0, batches: 2 });
      expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^retention purge: 3 sessions in 2 batches, done$/)]));

      for (const id of old) expect((await row(id)).erased_at).not.toBeNull();
      expect(await erasuresOf([...old, young])).toEqual(expect.arrayContaining(old));
      expect((await row(young)).erased_at).toBeNull();
      await api(user, 'post', `/sessions/${young}/restore`).expect(200);
      await api(user, 'post', `/sessions/${old[0]}/restore`).expect(404);

      await a.app.get(ErasureWorker).drainFor([user.id]);
      const left = await db.query('SELECT id FROM chat_sessions WHERE id = ANY($1::uuid[])', [old]);
      expect(left.rowCount).toBe(0);
      expect((await db.query('SELECT 1 FROM chat_messages WHERE session_id = ANY($1::uuid[])', [old])).rowCount).toBe(0);
      expect((await job().run({ onlyUsers: [user.id] })).actions[0]).toMatchObject({ action: 'purge', sessions: 0 });
    });

    it('two instances running the job at the same moment purge each session once', async () => {
      const user = await registerUser(a);
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO chat_sessions (user_id, agent_type, is_active, deactivated_reason, deleted_at)
         SELECT $1, 'primary', false, 'user', now() - make_interval(days => 40 + n) FROM generate_series(1, 40) n RETURNING id`,
        [user.id],
      );
      const ids = rows.map((r) => r.id);

      const reports = await Promise.all([job(a).run({ onlyUsers: [user.id] }), job(b).run({ onlyUsers: [user.id] })]);

      expect(reports.map((r) => r.ran).sort()).toEqual([false, true]);
      const skipped = reports.find((r) => !r.ran)!;
      expect(skipped).toMatchObject({ actions: [], heldBy: expect.stringContaining(`:${process.pid}:`) });
      const purged = reports.flatMap((r) => r.actions).filter((r) => r.action === 'purge');
      expect(purged.reduce((sum, r) => sum + r.sessions, 0)).toBe(40);
      const queued = await erasuresOf(ids);
      expect(queued).toHaveLength(40);
      expect(new Set(queued).size).toBe(40);
      const erased = await db.query('SELECT 1 FROM chat_sessions WHERE id = ANY($1::uuid[]) AND erased_at IS NOT NULL', [ids]);
      expect(erased.rowCount).toBe(40);
      await a.app.get(ErasureWorker).drainFor([user.id]);
    });
  });

  describe('inactive sessions, RETENTION_MODE=anonymize', () => {
    it('keep rows, counters and usage; content becomes the marker; metadata, title, previews and search go', async () => {
      const user = await registerUser(a);
      const old = await session(user, { messages: 5, word: 'narwhal' });
      const young = await session(user, { messages: 1, word: 'narwhal' });
      const active = await session(user, { messages: 1, active: true, word: 'narwhal' });
      await backdate(old, 'last_message_at', 31);
      await backdate(young, 'last_message_at', 29);
      await backdate(active, 'last_message_at', 60);
      const stats = (await api(user, 'get', `/sessions/${old}/stats`).expect(200)).body;
      const usage = (await api(user, 'get', '/usage?group_by=session').expect(200)).body;
      const history = (await api(user, 'get', `/sessions/${old}/messages`).expect(200)).body;

      const report = await job().run({ onlyUsers: [user.id] });
      expect(report.actions.find((r) => r.action === 'anonymize')).toEqual({ action: 'anonymize', sessions: 1, messages: 5, batches: 3 });

      const detail = (await api(user, 'get', `/sessions/${old}`).expect(200)).body;
      expect(detail).toMatchObject({ title: null, metadata: {}, last_message_preview: null, message_count: 5, total_tokens: 75 });
      const after = (await api(user, 'get', `/sessions/${old}/messages`).expect(200)).body;
      expect(after.total).toBe(5);
      expect(after.data).toEqual(
        history.data.map((m: Record<string, unknown>) => ({
          ...m,
          content: ANONYMIZED_CONTENT,
          metadata: {},
          updated_at: expect.any(String),
        })),
      );
      expect((await api(user, 'get', `/sessions/${old}/stats`).expect(200)).body).toEqual(stats);
      expect((await api(user, 'get', '/usage?group_by=session').expect(200)).body).toEqual(usage);

      const hits = (await api(user, 'get', '/messages/search?q=narwhal').expect(200)).body.data.map(
        (h: { session_id: string }) => h.session_id,
      );
      expect(new Set(hits)).toEqual(new Set([young, active]));
      const titled = (await api(user, 'get', '/sessions?search=narwhal').expect(200)).body.data.map((s: { id: string }) => s.id);
      expect(new Set(titled)).toEqual(new Set([young, active]));
      const vectors = await db.query('SELECT 1 FROM chat_messages WHERE session_id = $1 AND length(search_vector) > 0', [old]);
      expect(vectors.rowCount).toBe(0);
      expect(await row(old)).toMatchObject({ anonymized_seq: 5, anonymized_at: expect.any(Date) });
      for (const id of [young, active])
        expect((await api(user, 'get', `/sessions/${id}`).expect(200)).body.metadata).toEqual({ project: 'apollo' });
    });

    it('are not taken again once anonymized, unless they got messages since; a stopped run is continued', async () => {
      const user = await registerUser(a);
      const id = await session(user, { messages: 5 });
      await backdate(id, 'last_message_at', 31);
      // One batch (two messages), as a run that crashed after it would have left it.
      const store = a.app.get(RetentionStore);
      const lease = { name: 'retention', holder: 'test:continued', ttlMs: 60_000 };
      expect(await store.tryAcquire(lease)).toBe(true);
      const cutoff = new Date(Date.now() - 30 * 86_400_000);
      expect(await store.anonymizeBatch(lease, cutoff, 2, [user.id])).toEqual({ sessions: 0, messages: 2, progressed: true });
      await store.release(lease);
      const contents = async () =>
        (await db.query<{ content: string }>('SELECT content FROM chat_messages WHERE session_id = $1 ORDER BY seq', [id])).rows.map(
          (r) => r.content,
        );
      expect(await contents()).toEqual([ANONYMIZED_CONTENT, ANONYMIZED_CONTENT, 'zebra message 2', 'zebra message 3', 'zebra message 4']);
      expect(await row(id)).toMatchObject({ title: null, anonymized_seq: 2, anonymized_at: null });

      expect((await job(b).run({ onlyUsers: [user.id] })).actions[1]).toMatchObject({ sessions: 1, messages: 3 });
      expect(await contents()).toEqual(Array(5).fill(ANONYMIZED_CONTENT));
      expect((await job().run({ onlyUsers: [user.id] })).actions[1]).toMatchObject({ sessions: 0, messages: 0, batches: 0 });

      await api(user, 'patch', `/sessions/${id}`).send({ is_active: true }).expect(200);
      await api(user, 'post', `/sessions/${id}/messages`).send({ role: 'user', content: 'a new secret' }).expect(201);
      await api(user, 'post', `/sessions/${id}/end`).expect(200);
      await backdate(id, 'last_message_at', 31);
      expect((await job().run({ onlyUsers: [user.id] })).actions[1]).toMatchObject({ sessions: 1, messages: 1 });
      expect(await contents()).toEqual(Array(6).fill(ANONYMIZED_CONTENT));
    });
  });

  it('RETENTION_MODE=delete erases old inactive sessions through the erasure queue, and nothing younger or active', async () => {
    const d = await createTestApp({ ...SETTINGS, RETENTION_MODE: 'delete' });
    try {
      const user = await registerUser(d);
      const [old, young, active] = [await session(user), await session(user), await session(user, { active: true })];
      await backdate(old, 'last_message_at', 31);
      await backdate(young, 'last_message_at', 29);
      await backdate(active, 'last_message_at', 90);
      // Exported in 2024 (NDJSON), imported just now: its retention period starts now.
      const imported = sessionLine({
        created_at: '2024-06-01T10:00:00.000Z',
        updated_at: '2024-06-01T10:05:00.000Z',
        last_message_at: '2024-06-01T10:04:00.000Z',
      });
      await request(d.server)
        .post(IMPORT)
        .set(user.auth)
        .set('Content-Type', NDJSON)
        .send(ndjson([userLine, imported]))
        .expect(200);
      const report = await job(d).run({ onlyUsers: [user.id] });
      expect(report.actions).toEqual([
        { action: 'purge', sessions: 0, messages: 0, batches: 0 },
        { action: 'delete', sessions: 1, messages: 0, batches: 1 },
      ]);
      await api(user, 'get', `/sessions/${old}`, d).expect(404);
      expect(await erasuresOf([old, young, active, imported.id as string])).toEqual([old]);
      for (const id of [young, active, imported.id as string]) await api(user, 'get', `/sessions/${id}`, d).expect(200);
      await backdate(imported.id as string, 'imported_at', 31);
      await job(d).run({ onlyUsers: [user.id] });
      expect(await erasuresOf([young, active, imported.id as string])).toEqual([imported.id]);
      await d.app.get(ErasureWorker).drainFor([user.id]);
      expect((await db.query('SELECT 1 FROM chat_messages WHERE session_id = $1', [old])).rowCount).toBe(0);
    } finally {
      await d.close();
    }
  });

  describe('imported sessions', () => {
    /** Exported in June 2024 with `messages` messages, so two years older than the cutoff by last_message_at. */
    function exported(messages: number): Line[] {
      const session = sessionLine({
        created_at: '2024-06-01T10:00:00.000Z',
        updated_at: '2024-06-01T11:00:00.000Z',
        last_message_at: '2024-06-01T10:30:00.000Z',
      });
      const at = (seq: number) => ({ created_at: `2024-06-01T10:0${seq}:00.000Z`, updated_at: `2024-06-01T10:0${seq}:00.000Z` });
      return [session, ...Array.from({ length: messages }, (_, i) => messageLine(session, i + 1, at(i + 1)))];
    }

    it('are anonymized once their import, not their last message, is older than CHAT_INACTIVE_RETENTION_DAYS', async () => {
      const user = await registerUser(a);
      const [first, second] = [exported(3), exported(2)];
      const body = ndjson([userLine, ...first, ...second]);
      await request(a.server).post(IMPORT).set(user.auth).set('Content-Type', NDJSON).send(body).expect(200);
      const [firstId, secondId] = [first[0].id as string, second[0].id as string];
      const lastMessageAt = (await row(firstId)).last_message_at;
      expect(lastMessageAt).toEqual(new Date('2024-06-01T10:30:00.000Z'));
      expect((await row(firstId)).imported_at.getTime()).toBeGreaterThan(Date.now() - 600_000);

      const untouched = await job().run({ onlyUsers: [user.id] });
      expect(untouched.actions.find((r) => r.action === 'anonymize')).toMatchObject({ sessions: 0, messages: 0 });
      expect((await job().plan({ onlyUsers: [user.id] })).find((p) => p.action === 'anonymize')).toMatchObject({ sessions: 0 });
      for (const id of [firstId, secondId]) expect(await row(id)).toMatchObject({ anonymized_at: null, anonymized_seq: 0 });

      // A month later, as far as retention can tell.
      await backdate(firstId, 'imported_at', 31);
      const { imported_at: importedAt } = await row(firstId);
      expect((await job().plan({ onlyUsers: [user.id] })).find((p) => p.action === 'anonymize')).toMatchObject({
        sessions: 1,
        messages: 3,
        oldest: importedAt,
      });
      const report = await job().run({ onlyUsers: [user.id] });
      expect(report.actions.find((r) => r.action === 'anonymize')).toMatchObject({ sessions: 1, messages: 3 });
      expect(await row(firstId)).toMatchObject({ anonymized_at: expect.any(Date), last_message_at: lastMessageAt });
      expect((await row(secondId)).anonymized_at).toBeNull();
    });
    it('go by rows, not seq numbers: a history numbered with wide gaps takes batches by its messages', async () => {
      const user = await registerUser(a);
      const [session, low, high] = exported(2);
      const gapped = [session, low, { ...high, seq: 5_000_000 }];
      await request(a.server)
        .post(IMPORT)
        .set(user.auth)
        .set('Content-Type', NDJSON)
        .send(ndjson([userLine, ...gapped]))
        .expect(200);
      await backdate(session.id as string, 'imported_at', 31);

      const report = await job().run({ onlyUsers: [user.id] });
      // Batches of 2 messages: one batch for both, not one per two seq numbers (2.5 million).
      expect(report.actions.find((r) => r.action === 'anonymize')).toMatchObject({ sessions: 1, messages: 2, batches: 1 });
      expect(await row(session.id as string)).toMatchObject({ anonymized_at: expect.any(Date), anonymized_seq: 5_000_000 });
    });
  });

  describe('dry run', () => {
    it('counts what a run would do per action, with the oldest dates, and changes nothing', async () => {
      const user = await registerUser(a);
      const [deleted, inactive, kept] = [await session(user, { messages: 2 }), await session(user, { messages: 3 }), await session(user)];
      await api(user, 'delete', `/sessions/${deleted}`).expect(204);
      await backdate(deleted, 'deleted_at', 45);
      await backdate(inactive, 'last_message_at', 50);
      const snapshot = async () =>
        (
          await db.query(
            'SELECT s.*, array(SELECT row_to_json(m) FROM chat_messages m WHERE m.session_id = s.id ORDER BY seq) AS m FROM chat_sessions s WHERE user_id = $1 ORDER BY id',
            [user.id],
          )
        ).rows;
      const before = await snapshot();
      const plan = await job().plan({ onlyUsers: [user.id] });
      expect(plan).toEqual([
        { action: 'purge', sessions: 1, messages: 2, oldest: (await row(deleted)).deleted_at, before: expect.any(Date) },
        { action: 'anonymize', sessions: 1, messages: 3, oldest: (await row(inactive)).last_message_at, before: expect.any(Date) },
      ]);
      expect(await snapshot()).toEqual(before);
      expect((await row(kept)).anonymized_at).toBeNull();
    });
  });

  describe('npm run retention', () => {
    // Ages no other spec's data reaches, so the command, which sees every user, finds only these sessions.
    // It runs from the TypeScript sources, like src/main.ts in main-process.e2e-spec.ts: a Nest boot each.
    const DAYS = '20000';
    const cli = (args: string[], env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['--import', './scripts/register-ts.mjs', 'src/cli/retention.ts', ...args], {
        env: { PATH: process.env.PATH ?? '', ...testEnv({ LOG_LEVEL: 'warn', CHAT_SESSION_CLEANUP_DAYS: DAYS, ...env }) },
        timeout: 90_000,
      });

    it('--dry-run prints the counts per action and the oldest dates and changes nothing; without, it does it', async () => {
      const user = await registerUser(a);
      const [deleted, inactive] = [await session(user, { messages: 2 }), await session(user, { messages: 3 })];
      await api(user, 'delete', `/sessions/${deleted}`).expect(204);
      await backdate(deleted, 'deleted_at', 20_002);
      await backdate(inactive, 'last_message_at', 20_001);
      const oldest = (await row(deleted)).deleted_at.toISOString();

      const dry = await cli(['--dry-run'], { CHAT_INACTIVE_RETENTION_DAYS: DAYS, DATABASE_URL: testDatabaseUrl() });
      expect(dry.stdout).toContain('retention dry run (nothing changed):');
      expect(dry.stdout).toMatch(new RegExp(`purge +1 sessions \\(2 messages\\): soft-deleted before \\S+, oldest ${oldest}`));
      expect(dry.stdout).toMatch(/anonymize 1 sessions \(3 messages\): inactive, last message \(or import\) before \S+, oldest \S+/);
      expect((await row(deleted)).erased_at).toBeNull();
      expect((await row(inactive)).anonymized_at).toBeNull();

      const real = await cli([], {});
      expect(real.stdout).toMatch(/purge +1 sessions in 1 batches/);
      expect(real.stdout).not.toContain('anonymize');
      expect((await row(deleted)).erased_at).not.toBeNull();
      expect((await row(inactive)).anonymized_at).toBeNull();
      await a.app.get(ErasureWorker).drainFor([user.id]);
    }, 180_000);
  });

  it('runs on RETENTION_SCHEDULE by itself', async () => {
    // Every second; an age no other spec's data reaches, since a scheduled run sees every user.
    const scheduled = await createTestApp({ RETENTION_SCHEDULE: '* * * * * *', CHAT_SESSION_CLEANUP_DAYS: '20000' });
    try {
      const user = await registerUser(scheduled);
      const id = await session(user, { messages: 1 });
      await api(user, 'delete', `/sessions/${id}`).expect(204);
      await backdate(id, 'deleted_at', 20_001);
      for (let wait = 0; wait < 100 && (await row(id)).erased_at === null; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await row(id)).erased_at).not.toBeNull();
      await scheduled.app.get(ErasureWorker).drainFor([user.id]);
    } finally {
      await scheduled.close();
    }
  });

  it('finds its candidates through its partial indexes, the cutoff bounding the range read', async () => {
    const statements: [RetentionAction, string, unknown[]][] = [
      ...(['purge', 'delete'] as const).map((action): [RetentionAction, string, unknown[]] => [
        action,
        eraseBatchSql(CANDIDATES[action]),
        [new Date(), 10, null],
      ]),
      ['anonymize', CLAIM_ANONYMIZE_SQL, [new Date(), null]],
      ...RETENTION_ACTIONS.map((action): [RetentionAction, string, unknown[]] => [
        action,
        countSql(CANDIDATES[action]),
        [new Date(), null],
      ]),
    ];
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      // The test database is small enough to be read whole; the plan must still be able to use the index.
      await client.query('SET LOCAL enable_seqscan = off');
      for (const [action, sql, params] of statements) {
        const { rows } = await client.query(`EXPLAIN ${sql}`, params);
        const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
        // The index, and the cutoff as its condition: not a whole index read filtered row by row.
        const { index, date } = CANDIDATES[action];
        expect(plan).toMatch(new RegExp(`${index}[^\n]*\n\\s*Index Cond: [^\n]*\\(${date.replace(/[()]/g, '\\$&')} <`, 'i'));
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  describe('the lease', () => {
    const lease = () =>
      db.query<{ holder: string; expires_at: Date }>(`SELECT holder, expires_at FROM job_leases WHERE name = 'retention'`);

    it('held by a live instance makes a run skip; expired (its holder crashed), it is taken over', async () => {
      const user = await registerUser(a);
      const id = await session(user);
      await api(user, 'delete', `/sessions/${id}`).expect(204);
      await backdate(id, 'deleted_at', 31);
      await db.query(
        `INSERT INTO job_leases (name, holder, acquired_at, expires_at) VALUES ('retention', 'crashed:1:x', now(), now() + interval '1 minute')
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at`,
      );
      try {
        expect(await job().run({ onlyUsers: [user.id] })).toEqual({ ran: false, heldBy: 'crashed:1:x', actions: [], complete: false });
        expect((await row(id)).erased_at).toBeNull();

        await db.query(`UPDATE job_leases SET expires_at = now() - interval '1 second' WHERE name = 'retention'`);
        const report = await job().run({ onlyUsers: [user.id] });
        expect(report).toMatchObject({ ran: true, complete: true, actions: [{ action: 'purge', sessions: 1 }, { action: 'anonymize' }] });
        expect((await row(id)).erased_at).not.toBeNull();
        // Released at the end: the next run, on any instance, takes it at once.
        expect((await lease()).rows[0].expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        expect((await job(b).run({ onlyUsers: [user.id] })).ran).toBe(true);
      } finally {
        await db.query(`UPDATE job_leases SET expires_at = now() WHERE name = 'retention'`);
      }
    });

    it('a batch whose instance lost the lease rolls back, changing nothing', async () => {
      const user = await registerUser(a);
      const id = await session(user, { messages: 2 });
      await backdate(id, 'last_message_at', 31);
      const before = await row(id);
      const store = a.app.get(RetentionStore);
      const cutoff = new Date(Date.now() - 30 * 86_400_000);
      const notHeld = { name: 'retention', holder: 'not-the-holder', ttlMs: 60_000 };
      await expect(store.anonymizeBatch(notHeld, cutoff, 10, [user.id])).rejects.toThrow(LeaseLost);
      expect(await row(id)).toEqual(before);
    });
  });
});

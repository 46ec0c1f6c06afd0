import request from 'supertest';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';

/** Tiny batches, so even this small data takes several batches (and several transactions) to erase. */
const TINY = { ERASURE_BATCH_SIZE: '2' };
const USER_TABLES = ['chat_messages', 'chat_sessions', 'usage_daily', 'usage_daily_totals', 'usage_periods', 'refresh_tokens', 'erasures'];

describe('erasure of any size', () => {
  const db = testPool();
  const adminEmail = uniqueEmail('erasure-admin');
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ ...TINY, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
    admin = { ...login.body.user, auth: { Authorization: `Bearer ${login.body.access_token}` } };
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const worker = (app: TestApp = t) => app.app.get(ErasureWorker);

  /** A user with two sessions of three messages each, all with usage. */
  async function heavyUser(app: TestApp = t): Promise<{ user: TestUser; sessions: string[] }> {
    const user = await registerUser(app);
    const sessions: string[] = [];
    for (let s = 0; s < 2; s++) {
      const { id } = (
        await request(app.server)
          .post(`${API}/sessions`)
          .set(user.auth)
          .send({ title: `s${s}` })
          .expect(201)
      ).body;
      sessions.push(id);
      for (let m = 0; m < 3; m++) {
        await request(app.server)
          .post(`${API}/sessions/${id}/messages`)
          .set(user.auth)
          .send({ role: 'assistant', content: `needle ${s}-${m}`, model: `model-${m}`, usage: { prompt_tokens: 1, completion_tokens: 1 } })
          .expect(201);
      }
    }
    return { user, sessions };
  }

  const rowsOf = async (userId: string) => {
    const counts: Record<string, number> = {};
    for (const table of ['users', ...USER_TABLES]) {
      const column = table === 'users' ? 'id' : 'user_id';
      counts[table] = (await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [userId])).rowCount ?? 0;
    }
    return counts;
  };
  const empty = Object.fromEntries(['users', ...USER_TABLES].map((table) => [table, 0]));

  describe('a user', () => {
    it('vanishes from every read at once, frees the email at once, and the worker then empties every table', async () => {
      const { user, sessions } = await heavyUser();
      await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);

      // Nothing is deleted yet (this app runs no background worker), yet nothing can be read.
      expect((await rowsOf(user.id)).chat_messages).toBe(6);
      for (const path of ['/users/me', '/sessions', `/sessions/${sessions[0]}`, `/sessions/${sessions[0]}/messages`, '/usage']) {
        expectProblem(await request(t.server).get(`${API}${path}`).set(user.auth), 401, 'unauthorized');
      }
      expectProblem(await request(t.server).post(`${API}/sessions`).set(user.auth).send({}), 401, 'unauthorized');
      expectProblem(await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }), 401, 'unauthorized');
      expectProblem(await request(t.server).get(`${API}/users/${user.id}`).set(admin.auth), 404, 'user_not_found');
      const listed = await request(t.server).get(`${API}/users`).query({ search: user.email }).set(admin.auth).expect(200);
      expect(listed.body).toMatchObject({ data: [], total: 0 });
      const report = await request(t.server).get(`${API}/admin/usage`).query({ page_size: 100 }).set(admin.auth).expect(200);
      expect(report.body.data.map((row: { user_id: string }) => row.user_id)).not.toContain(user.id);
      expectProblem(await request(t.server).delete(`${API}/users/${user.id}`).set(admin.auth), 404, 'user_not_found');

      const again = await registerUser(t, { email: user.email });
      expect(again.id).not.toBe(user.id);
      expect((await request(t.server).get(`${API}/sessions`).set(again.auth).expect(200)).body.total).toBe(0);

      const done = await worker().drainFor([user.id]);
      expect(done).toMatchObject({ failures: 0, finished: [expect.any(String)] });
      // 6 messages, 2 sessions, 6 usage rows (one per model and session), 3 daily totals (one per model),
      // 4 periods (one per span), 1 refresh token: 2 rows a batch, then the last one that removes the users
      // row and the erasure.
      expect(done.batches).toBe(3 + 1 + 3 + 2 + 2 + 1 + 1);
      expect(await rowsOf(user.id)).toEqual(empty);
      await request(t.server).get(`${API}/users/me`).set(again.auth).expect(200);
    });

    it('locks out its tokens on other instances within AUTH_ACCOUNT_CHECK_TTL_MS, and at once with 0', async () => {
      const strict = await createTestApp({ AUTH_ACCOUNT_CHECK_TTL_MS: '0' });
      const trusting = await createTestApp({ AUTH_ACCOUNT_CHECK_TTL_MS: '60000' });
      try {
        const user = await registerUser(t);
        for (const other of [strict, trusting]) await request(other.server).get(`${API}/sessions`).set(user.auth).expect(200);
        await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);
        expectProblem(await request(t.server).get(`${API}/sessions`).set(user.auth), 401, 'unauthorized');
        expectProblem(await request(strict.server).get(`${API}/sessions`).set(user.auth), 401, 'unauthorized');
        // Seen alive a moment ago, so trusted for the window: the documented price of not looking every time.
        await request(trusting.server).get(`${API}/sessions`).set(user.auth).expect(200);
        await worker().drainFor([user.id]);
      } finally {
        await strict.close();
        await trusting.close();
      }
    });

    it('resumes after the instance stops mid-way, and a worker that dies holding a batch loses nothing', async () => {
      const { user } = await heavyUser();
      await request(t.server).delete(`${API}/users/${user.id}`).set(admin.auth).expect(204);
      expect(await worker().runBatch([user.id])).toMatchObject({ rows: 2, finished: false });
      const [progress] = (await db.query('SELECT rows_deleted::int, attempts FROM erasures WHERE user_id = $1', [user.id])).rows;
      expect(progress).toEqual({ rows_deleted: 2, attempts: 0 });
      await t.close();

      // A worker that took the erasure and died before committing: its lock goes with its connection.
      const dying = await db.connect();
      await dying.query('BEGIN');
      await dying.query(`DELETE FROM chat_messages WHERE user_id = $1`, [user.id]);
      await dying.query('SELECT 1 FROM erasures WHERE user_id = $1 FOR UPDATE', [user.id]);
      t = await createTestApp({ ...TINY, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
      expect(await worker().runBatch([user.id])).toBeNull(); // held elsewhere: skipped, not waited for
      dying.release(new Error('the worker died'));

      const done = await worker().drainFor([user.id]);
      expect(done.failures).toBe(0);
      expect(done.rows).toBe(4 + 2 + 6 + 3 + 4 + 1);
      expect(await rowsOf(user.id)).toEqual(empty);
    });

    it('records a failed batch on the erasure and carries on once the cause is gone', async () => {
      const { user } = await heavyUser();
      await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);
      const impatient = await createTestApp({ ...TINY, DATABASE_LOCK_TIMEOUT_MS: '50' });
      const blocker = await db.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM chat_messages WHERE user_id = $1 FOR UPDATE', [user.id]);
        expect(await worker(impatient).runBatch([user.id])).toEqual({ failed: true });
        const [erasure] = (await db.query('SELECT attempts, last_error FROM erasures WHERE user_id = $1', [user.id])).rows;
        expect(erasure).toEqual({ attempts: 1, last_error: expect.stringMatching(/lock timeout/) });
      } finally {
        await blocker.query('ROLLBACK');
        blocker.release();
        await impatient.close();
      }
      expect((await worker().drainFor([user.id])).failures).toBe(0);
      expect(await rowsOf(user.id)).toEqual(empty);
    });

    it('two instances share the work: each erasure is done once, with no deadlock or failed batch', async () => {
      const users = await Promise.all([0, 1, 2, 3].map(() => heavyUser()));
      for (const { user } of users) await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);
      const ids = users.map(({ user }) => user.id);
      const other = await createTestApp(TINY);
      try {
        const [a, b] = await Promise.all([worker().drainFor(ids), worker(other).drainFor(ids)]);
        expect(a.failures + b.failures).toBe(0);
        expect(new Set([...a.finished, ...b.finished]).size).toBe(a.finished.length + b.finished.length);
        expect(a.finished.length + b.finished.length).toBe(4);
        expect(a.rows + b.rows).toBe(4 * (6 + 2 + 6 + 3 + 4 + 1));
      } finally {
        await other.close();
      }
      for (const id of ids) expect(await rowsOf(id)).toEqual(empty);
    });
  });

  describe('a session, permanently', () => {
    it('is gone from every read at once; its messages then go in batches, its usage stays', async () => {
      const { user, sessions } = await heavyUser();
      const [gone, kept] = sessions;
      await request(t.server).delete(`${API}/sessions/${gone}`).query({ permanent: true }).set(user.auth).expect(204);

      expectProblem(await request(t.server).get(`${API}/sessions/${gone}`).set(user.auth), 404, 'session_not_found');
      expectProblem(await request(t.server).get(`${API}/sessions/${gone}/messages`).set(user.auth), 404, 'session_not_found');
      expectProblem(await request(t.server).post(`${API}/sessions/${gone}/restore`).set(user.auth), 404, 'session_not_found');
      const list = await request(t.server).get(`${API}/sessions`).set(user.auth).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([kept]);
      const hits = await request(t.server).get(`${API}/messages/search`).query({ q: 'needle' }).set(user.auth).expect(200);
      expect(new Set(hits.body.data.map((hit: { session_id: string }) => hit.session_id))).toEqual(new Set([kept]));
      const stats = await request(t.server).get(`${API}/usage/stats`).set(user.auth).expect(200);
      expect(stats.body).toMatchObject({ total_sessions: 1 });

      const done = await worker().drainFor([user.id]);
      expect(done).toMatchObject({ failures: 0, batches: 2 + 1, rows: 3 });
      const left = await rowsOf(user.id);
      expect(left).toEqual({
        ...empty,
        users: 1,
        chat_sessions: 1,
        chat_messages: 3,
        usage_daily: 6,
        usage_daily_totals: 3,
        usage_periods: 4,
        refresh_tokens: 1,
      });
    });
  });

  describe('a history', () => {
    it('is hidden at once from every read, new messages continue the seq, and the old rows go in batches', async () => {
      const { user, sessions } = await heavyUser();
      const [cleared] = sessions;
      const old = (await request(t.server).get(`${API}/sessions/${cleared}/messages`).set(user.auth).expect(200)).body.data;
      await request(t.server).delete(`${API}/sessions/${cleared}/messages`).set(user.auth).expect(204);

      for (const message of old) {
        expectProblem(await request(t.server).get(`${API}/messages/${message.id}`).set(user.auth), 404, 'message_not_found');
        expectProblem(
          await request(t.server).patch(`${API}/messages/${message.id}`).set(user.auth).send({ content: 'x' }),
          404,
          'message_not_found',
        );
        expectProblem(await request(t.server).delete(`${API}/messages/${message.id}`).set(user.auth), 404, 'message_not_found');
      }
      const fresh = await request(t.server)
        .post(`${API}/sessions/${cleared}/messages`)
        .set(user.auth)
        .send({ role: 'user', content: 'needle after the clear' })
        .expect(201);
      expect(fresh.body.seq).toBe(4);
      const history = await request(t.server).get(`${API}/sessions/${cleared}/messages`).set(user.auth).expect(200);
      expect(history.body).toMatchObject({ total: 1, data: [{ seq: 4 }] });
      const byRole = await request(t.server).get(`${API}/sessions/${cleared}/messages`).query({ role: 'assistant' }).set(user.auth);
      expect(byRole.body).toMatchObject({ total: 0, data: [] });
      const detail = await request(t.server).get(`${API}/sessions/${cleared}`).set(user.auth).expect(200);
      expect(detail.body).toMatchObject({ message_count: 1, messages: [{ seq: 4 }] });
      const stats = await request(t.server).get(`${API}/sessions/${cleared}/stats`).set(user.auth).expect(200);
      expect(stats.body).toMatchObject({ message_count: 1, messages_by_role: { user: 1 } });
      const hits = await request(t.server).get(`${API}/messages/search`).query({ q: 'needle', session_id: cleared }).set(user.auth);
      expect(hits.body.data.map((hit: { seq: number }) => hit.seq)).toEqual([4]);

      const done = await worker().drainFor([user.id]);
      expect(done).toMatchObject({ failures: 0, batches: 2 + 1, rows: 3 });
      const { rows } = await db.query('SELECT seq FROM chat_messages WHERE user_id = $1 AND session_id = $2 ORDER BY seq', [
        user.id,
        cleared,
      ]);
      expect(rows).toEqual([{ seq: 4 }]);
      expect((await rowsOf(user.id)).chat_messages).toBe(4);
    });
  });

  it('without being asked: the instance that queued an erasure wakes its worker', async () => {
    const awake = await createTestApp({ ERASURE_INTERVAL_MS: '3600000' });
    try {
      const { user, sessions } = await heavyUser(awake);
      await request(awake.server).delete(`${API}/sessions/${sessions[0]}`).query({ permanent: true }).set(user.auth).expect(204);
      // The wake runs a drain in the background; drain() joins it and resolves when it is done.
      await worker(awake).drain();
      expect((await rowsOf(user.id)).chat_sessions).toBe(1);
    } finally {
      await awake.close();
    }
  });
});

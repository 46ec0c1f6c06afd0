import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { call } from './support/http.js';
import { createTestApp, startTestApp, testPool, type TestApp } from './support/test-app.js';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

async function loginAdmin(t: TestApp, email: string) {
  const res = await request(t.server).post(`${API}/auth/login`).send({ email, password: 'admin password 1' }).expect(200);
  return { Authorization: `Bearer ${res.body.access_token}` };
}

describe('usage', () => {
  let t: TestApp;
  const db = testPool();
  const adminEmail = uniqueEmail('usage-admin');
  let adminAuth: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    adminAuth = await loginAdmin(t, adminEmail);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const newSession = async (user: TestUser, agent_type = 'primary') =>
    (await request(t.server).post(`${API}/sessions`).set(user.auth).send({ agent_type }).expect(201)).body.id as string;
  const append = (user: TestUser, sessionId: string, body: object) =>
    request(t.server).post(`${API}/sessions/${sessionId}/messages`).set(user.auth).send(body);
  const usage = (user: TestUser, query: object = {}) => request(t.server).get(`${API}/usage`).query(query).set(user.auth);
  const assistant = (model: string, prompt_tokens: number, completion_tokens: number) => ({
    role: 'assistant',
    content: 'answer',
    model,
    usage: { prompt_tokens, completion_tokens },
  });

  /**
   * Moves users' usage rows to another day, as if spent then: the detail, and the rollups rebuilt from it
   * (the migration's backfill, for these users only). `where` narrows the detail rows moved.
   */
  const moveUsage = async (userIds: string[], day: string | ((column: string) => string), where = 'true') => {
    const to = typeof day === 'string' ? `'${day}'::date` : day('day');
    await db.query(`UPDATE usage_daily SET day = ${to} WHERE user_id = ANY($1) AND ${where}`, [userIds]);
    await db.query('DELETE FROM usage_daily_totals WHERE user_id = ANY($1)', [userIds]);
    await db.query('DELETE FROM usage_periods WHERE user_id = ANY($1)', [userIds]);
    await db.query(
      `INSERT INTO usage_daily_totals (user_id, day, agent_type, model, prompt_tokens, completion_tokens, messages, user_messages)
       SELECT user_id, day, agent_type, model, sum(prompt_tokens), sum(completion_tokens), sum(messages), sum(user_messages)
         FROM usage_daily WHERE user_id = ANY($1) GROUP BY 1, 2, 3, 4`,
      [userIds],
    );
    await db.query(
      `INSERT INTO usage_periods (user_id, span_days, start_day, prompt_tokens, completion_tokens, messages)
       SELECT user_id, span, DATE '1970-01-01' + (day - DATE '1970-01-01') / span * span,
              sum(prompt_tokens), sum(completion_tokens), sum(messages)
         FROM usage_daily CROSS JOIN unnest(ARRAY[1, 2, 8, 32]) AS span WHERE user_id = ANY($1) GROUP BY 1, 2, 3`,
      [userIds],
    );
  };

  describe('accounting', () => {
    let user: TestUser;
    let primary: string;
    let research: string;

    beforeAll(async () => {
      user = await registerUser(t);
      [primary, research] = [await newSession(user, 'primary'), await newSession(user, 'research')];
      await append(user, primary, { role: 'user', content: 'q1' }).expect(201);
      await append(user, primary, assistant('m1', 100, 20)).expect(201);
      await append(user, primary, assistant('m2', 50, 10)).expect(201);
      await request(t.server)
        .post(`${API}/sessions/${research}/messages/batch`)
        .set(user.auth)
        .send({ messages: [{ role: 'user', content: 'q2' }, assistant('m1', 30, 5), { role: 'system', content: 'note' }] })
        .expect(201);
    });

    const bucket = (key: string | null, prompt: number, completion: number, messages: number) => ({
      key,
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      messages,
    });

    it('totals every appended message, with or without tokens', async () => {
      const res = await usage(user).expect(200);
      expect(res.body.total).toEqual({ prompt_tokens: 180, completion_tokens: 35, total_tokens: 215, messages: 6 });
      expect(res.body.buckets).toEqual([bucket(today(), 180, 35, 6)]);
    });

    it.each([
      ['agent_type', [bucket('primary', 150, 30, 3), bucket('research', 30, 5, 3)]],
      ['model', [bucket('m1', 130, 25, 2), bucket('m2', 50, 10, 1), bucket(null, 0, 0, 3)]],
    ])('groups by %s exactly', async (group_by, expected) => {
      expect((await usage(user, { group_by }).expect(200)).body.buckets).toEqual(expected);
    });

    it('groups by session exactly, in session id order', async () => {
      const res = await usage(user, { group_by: 'session' }).expect(200);
      const expected = [bucket(primary, 150, 30, 3), bucket(research, 30, 5, 3)].sort((a, b) => String(a.key).localeCompare(String(b.key)));
      expect(res.body).toEqual({
        total: { prompt_tokens: 180, completion_tokens: 35, total_tokens: 215, messages: 6 },
        buckets: expected,
        page_size: 100,
        has_more: false,
        next_cursor: null,
      });
    });

    it('splits by UTC day and honours the date range', async () => {
      const other = await registerUser(t);
      const session = await newSession(other);
      await append(other, session, assistant('m1', 10, 1)).expect(201);
      await append(other, session, assistant('m2', 20, 2)).expect(201);
      await moveUsage([other.id], (day) => `${day} - 3`, `model = 'm1'`);
      const all = await usage(other, { group_by: 'day' }).expect(200);
      expect(all.body.buckets).toEqual([bucket(daysAgo(3), 10, 1, 1), bucket(today(), 20, 2, 1)]);
      const recent = await usage(other, { from: daysAgo(1), to: today() }).expect(200);
      expect(recent.body.total).toEqual({ prompt_tokens: 20, completion_tokens: 2, total_tokens: 22, messages: 1 });
      const old = await usage(other, { from: daysAgo(5), to: daysAgo(2) }).expect(200);
      expect(old.body.total.total_tokens).toBe(11);
    });

    it("never shows another user's usage", async () => {
      const stranger = await registerUser(t);
      const session = await newSession(stranger);
      await append(stranger, session, assistant('m1', 999, 999)).expect(201);
      expect((await usage(user).expect(200)).body.total.total_tokens).toBe(215);
      expect((await usage(stranger).expect(200)).body.total.total_tokens).toBe(1998);
    });

    it('is not refunded when messages, histories or sessions are deleted', async () => {
      const spender = await registerUser(t);
      const [a, b] = [await newSession(spender), await newSession(spender)];
      const message = (await append(spender, a, assistant('m1', 40, 4)).expect(201)).body;
      await append(spender, a, assistant('m1', 60, 6)).expect(201);
      await append(spender, b, assistant('m2', 7, 7)).expect(201);
      const before = (await usage(spender, { group_by: 'session' }).expect(200)).body;

      await request(t.server).delete(`${API}/messages/${message.id}`).set(spender.auth).expect(204);
      await request(t.server).delete(`${API}/sessions/${a}/messages`).set(spender.auth).expect(204);
      await request(t.server).delete(`${API}/sessions/${b}`).query({ permanent: true }).set(spender.auth).expect(204);
      expect((await usage(spender, { group_by: 'session' }).expect(200)).body).toEqual(before);
      expect(before.total).toEqual({ prompt_tokens: 107, completion_tokens: 17, total_tokens: 124, messages: 3 });
    });

    it('validates the range and grouping', async () => {
      for (const query of [
        { group_by: 'week' },
        { from: '2026-02-30' },
        { from: '22-11-2026' },
        { from: today(), to: daysAgo(1) },
        { from: '2024-01-01', to: '2025-06-01' },
        { page: 2 },
      ]) {
        expectProblem(await usage(user, query), 400, 'validation_failed');
      }
    });
  });

  describe('rollups', () => {
    const SUMS = `sum(prompt_tokens)::int AS prompt_tokens, sum(completion_tokens)::int AS completion_tokens, sum(messages)::int AS messages`;

    /** Each rollup row equals usage_daily summed over the rollup's key, and every detail row is in a rollup. */
    const expectRollupsMatchDetail = async (userId: string) => {
      const rows = async (sql: string) => (await db.query(sql, [userId])).rows;
      const detailByModel = await rows(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, agent_type, model, ${SUMS}, sum(user_messages)::int AS user_messages
           FROM usage_daily WHERE user_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      );
      expect(detailByModel.length).toBeGreaterThan(0);
      expect(
        await rows(
          `SELECT to_char(day, 'YYYY-MM-DD') AS day, agent_type, model, ${SUMS}, sum(user_messages)::int AS user_messages
             FROM usage_daily_totals WHERE user_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        ),
      ).toEqual(detailByModel);
      expect(
        await rows(`SELECT span_days AS span, to_char(start_day, 'YYYY-MM-DD') AS start, ${SUMS}
                      FROM usage_periods WHERE user_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`),
      ).toEqual(
        await rows(`SELECT span, to_char(DATE '1970-01-01' + (day - DATE '1970-01-01') / span * span, 'YYYY-MM-DD') AS start, ${SUMS}
                      FROM usage_daily CROSS JOIN unnest(ARRAY[1, 2, 8, 32]) AS span WHERE user_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`),
      );
    };

    it('equal the detail after appends, batch appends, chat turns and concurrent appends; quotas read them', async () => {
      const user = await registerUser(t);
      const [a, b] = [await newSession(user, 'primary'), await newSession(user, 'research')];
      await append(user, a, { role: 'user', content: 'q1' }).expect(201);
      await append(user, a, assistant('m1', 100, 20)).expect(201);
      await request(t.server)
        .post(`${API}/sessions/${b}/messages/batch`)
        .set(user.auth)
        .send({
          messages: [
            { role: 'user', content: 'q2' },
            { ...assistant('m2', 30, 5), agent_type: 'log_analysis' },
            assistant('m1', 7, 3),
            { role: 'tool', content: 'result' },
          ],
        })
        .expect(201);
      const turn = await request(t.server).post(`${API}/chat`).set(user.auth).send({ message: 'hello there', session_id: a }).expect(201);
      expect(turn.body.usage.total_tokens).toBeGreaterThan(0);
      // Appends to two sessions at once add to the same rollup rows: none may be lost.
      await Promise.all(Array.from({ length: 12 }, (_, i) => append(user, i % 2 ? a : b, assistant('m1', 10, 1)).expect(201)));
      await expectRollupsMatchDetail(user.id);

      const [detail] = (
        await db.query(
          `SELECT sum(prompt_tokens + completion_tokens)::int AS tokens, sum(messages)::int AS messages, sum(user_messages)::int AS user_messages
             FROM usage_daily WHERE user_id = $1`,
          [user.id],
        )
      ).rows;
      expect(detail).toEqual({ tokens: 165 + turn.body.usage.total_tokens + 132, messages: 20, user_messages: 3 });
      const quota = (await request(t.server).get(`${API}/usage/quota`).set(user.auth).expect(200)).body;
      expect(quota).toMatchObject({ tokens_used_today: detail.tokens, messages_today: 3 });
      expect((await usage(user).expect(200)).body.total).toMatchObject({ total_tokens: detail.tokens, messages: 20 });
      const byModel = (await usage(user, { group_by: 'model' }).expect(200)).body.buckets;
      expect(byModel.find((row: { key: string }) => row.key === 'm1')).toMatchObject({ prompt_tokens: 227, completion_tokens: 35 });

      await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);
      await t.app.get(ErasureWorker).drainFor([user.id]);
      for (const table of ['usage_daily', 'usage_daily_totals', 'usage_periods']) {
        const { rowCount } = await db.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [user.id]);
        expect({ table, rowCount }).toEqual({ table, rowCount: 0 });
      }
    });
  });

  describe('group_by=session paging', () => {
    let user: TestUser;
    let sessions: string[];

    beforeAll(async () => {
      user = await registerUser(t);
      sessions = [];
      for (let i = 1; i <= 5; i++) {
        const session = await newSession(user);
        await append(user, session, assistant('m1', i * 10, i)).expect(201);
        sessions.push(session);
      }
      sessions.sort();
    });

    it('walks every session once, in id order, with the totals of the whole range on each page', async () => {
      const total = { prompt_tokens: 150, completion_tokens: 15, total_tokens: 165, messages: 5 };
      const seen: string[] = [];
      const pages: boolean[] = [];
      let cursor: string | undefined;
      do {
        const page = (await usage(user, { group_by: 'session', page_size: 2, ...(cursor ? { cursor } : {}) }).expect(200)).body;
        expect(page.total).toEqual(total);
        expect(page.page_size).toBe(2);
        seen.push(...page.buckets.map((row: { key: string }) => row.key));
        pages.push(page.has_more);
        cursor = page.next_cursor ?? undefined;
        expect(cursor === undefined).toBe(!page.has_more);
      } while (cursor);
      expect(seen).toEqual(sessions);
      expect(pages).toEqual([true, true, false]);
    });

    it('refuses a cursor of another range, a page size over 1000, and paging another grouping', async () => {
      const first = (await usage(user, { group_by: 'session', page_size: 1 }).expect(200)).body;
      for (const query of [
        { group_by: 'session', cursor: first.next_cursor, from: daysAgo(3) },
        { group_by: 'session', cursor: 'not-a-cursor' },
        { group_by: 'session', page_size: 1001 },
        { group_by: 'session', page_size: 0 },
        { group_by: 'day', cursor: first.next_cursor },
        { group_by: 'model', page_size: 10 },
        { group_by: 'session', page: 2 },
      ]) {
        expectProblem(await usage(user, query), 400, 'validation_failed');
      }
      expectProblem(await usage(await registerUser(t), { group_by: 'session', cursor: first.next_cursor }), 400, 'validation_failed');
    });
  });

  describe('stats', () => {
    it('summarises sessions by agent type', async () => {
      const user = await registerUser(t);
      const empty = await request(t.server).get(`${API}/usage/stats`).set(user.auth).expect(200);
      expect(empty.body).toEqual({
        user_id: user.id,
        total_sessions: 0,
        active_sessions: 0,
        total_messages: 0,
        total_tokens: 0,
        sessions_by_agent_type: {},
        most_recent_session: null,
        oldest_session: null,
      });
      const first = await newSession(user, 'primary');
      const second = await newSession(user, 'research');
      await newSession(user, 'research');
      await request(t.server).post(`${API}/sessions/${second}/end`).set(user.auth).expect(200);
      await append(user, first, assistant('m1', 10, 5)).expect(201);
      await append(user, second, { role: 'user', content: 'hi' }).expect(409);
      const deleted = await newSession(user, 'router');
      await request(t.server).delete(`${API}/sessions/${deleted}`).set(user.auth).expect(204);

      const res = await request(t.server).get(`${API}/usage/stats`).set(user.auth).expect(200);
      const sessions = (
        await db.query(
          'SELECT min(created_at) AS oldest, max(last_message_at) AS latest FROM chat_sessions WHERE user_id = $1 AND deleted_at IS NULL',
          [user.id],
        )
      ).rows[0];
      expect(res.body).toEqual({
        user_id: user.id,
        total_sessions: 3,
        active_sessions: 2,
        total_messages: 1,
        total_tokens: 15,
        sessions_by_agent_type: { primary: 1, research: 2 },
        most_recent_session: sessions.latest.toISOString(),
        oldest_session: sessions.oldest.toISOString(),
      });
    });
  });

  describe('admin leaderboard', () => {
    it('lists per-user totals largest first, for admins only', async () => {
      const [big, small] = [await registerUser(t), await registerUser(t)];
      await append(big, await newSession(big), assistant('m1', 50_000, 50_000)).expect(201);
      const smallSession = await newSession(small);
      for (let i = 0; i < 3; i++) await append(small, smallSession, assistant('m1', 40_000, 0)).expect(201);
      // Other specs add usage today while this one runs; a day of its own keeps the list still.
      const day = '2003-03-03';
      await moveUsage([big.id, small.id], day);
      const leaderboard = async (query: object) =>
        (
          await request(t.server)
            .get(`${API}/admin/usage`)
            .query({ from: day, to: day, ...query })
            .set(adminAuth)
            .expect(200)
        ).body;

      const byTotal = await leaderboard({});
      expect(byTotal).toMatchObject({ total: 2, page: 1, has_more: false });
      expect(byTotal.data).toEqual([
        { user_id: small.id, email: small.email, prompt_tokens: 120_000, completion_tokens: 0, total_tokens: 120_000, messages: 3 },
        { user_id: big.id, email: big.email, prompt_tokens: 50_000, completion_tokens: 50_000, total_tokens: 100_000, messages: 1 },
      ]);
      const order = async (order_by: string) => (await leaderboard({ order_by })).data.map((r: { user_id: string }) => r.user_id);
      expect(await order('messages')).toEqual([small.id, big.id]);
      expect(await order('prompt_tokens')).toEqual([small.id, big.id]);
      expect(await order('completion_tokens')).toEqual([big.id, small.id]);

      const first = await leaderboard({ page_size: 1 });
      const second = await leaderboard({ page_size: 1, cursor: first.next_cursor });
      expect([first.data[0].user_id, second.data[0].user_id, second.has_more]).toEqual([small.id, big.id, false]);

      const empty = await request(t.server)
        .get(`${API}/admin/usage`)
        .query({ from: '2002-01-01', to: '2002-01-31' })
        .set(adminAuth)
        .expect(200);
      expect(empty.body).toMatchObject({ data: [], total: 0 });
      expectProblem(await request(t.server).get(`${API}/admin/usage`).set(big.auth), 403, 'forbidden');
      expectProblem(
        await request(t.server).get(`${API}/admin/usage`).query({ order_by: 'email' }).set(adminAuth),
        400,
        'validation_failed',
      );
    });
  });

  describe('admin leaderboard over ranges', () => {
    it('sums any range exactly from its blocks, and pages by page and by cursor with an exact total', async () => {
      const users = [await registerUser(t), await registerUser(t), await registerUser(t)];
      const ids = users.map((user) => user.id);
      for (const [i, user] of users.entries()) {
        const session = await newSession(user);
        for (const model of ['m1', 'm2', 'm3']) await append(user, session, assistant(model, 1000 * (i + 1), 10 * (i + 1))).expect(201);
      }
      // A year no other test uses, spread so that ranges cut blocks of every size.
      await moveUsage(ids, '1999-01-05');
      await moveUsage(ids, '1999-02-10', `model = 'm2'`);
      await moveUsage(ids, '1999-03-30', `model = 'm3' AND user_id = '${ids[2]}'`);
      const admin = async (query: object) =>
        (await request(t.server).get(`${API}/admin/usage`).query(query).set(adminAuth).expect(200)).body;
      const expected = async (from: string, to: string) =>
        (
          await db.query(
            `SELECT u.id AS user_id, u.email, sum(d.prompt_tokens)::int AS prompt_tokens, sum(d.completion_tokens)::int AS completion_tokens,
                    sum(d.prompt_tokens + d.completion_tokens)::int AS total_tokens, sum(d.messages)::int AS messages
               FROM usage_daily d JOIN users u ON u.id = d.user_id
              WHERE d.user_id = ANY($1) AND d.day BETWEEN $2 AND $3 GROUP BY u.id, u.email ORDER BY 5 DESC, 1 DESC`,
            [ids, from, to],
          )
        ).rows;
      for (const [from, to] of [
        ['1999-01-01', '1999-03-31'],
        ['1999-01-06', '1999-02-10'],
        ['1999-01-05', '1999-01-05'],
        ['1999-02-11', '1999-03-30'],
        ['1998-12-01', '1999-02-09'],
      ]) {
        const report = await admin({ from, to, page_size: 100 });
        expect({ from, to, data: report.data, total: report.total }).toEqual({
          from,
          to,
          data: await expected(from, to),
          total: (await expected(from, to)).length,
        });
      }

      const range = { from: '1999-01-01', to: '1999-03-31' };
      const all = (await expected(range.from, range.to)).map((row) => row.user_id);
      expect(all).toEqual([ids[2], ids[1], ids[0]]);
      const second = await admin({ ...range, page_size: 1, page: 2 });
      expect(second).toMatchObject({ total: 3, page: 2, page_size: 1, has_more: true });
      expect(second.data.map((row: { user_id: string }) => row.user_id)).toEqual([ids[1]]);
      expect(await admin({ ...range, page_size: 1, page: 4 })).toMatchObject({ data: [], total: 3, has_more: false });
      const first = await admin({ ...range, page_size: 2 });
      const rest = await admin({ ...range, page_size: 2, cursor: first.next_cursor });
      expect([...first.data, ...rest.data].map((row: { user_id: string }) => row.user_id)).toEqual(all);
      expect([first.has_more, rest.has_more, rest.total, rest.page]).toEqual([true, false, 3, null]);
    });
  });

  describe('quotas (per-user overrides, no defaults)', () => {
    it('applies an admin-set limit, reports it, and lifts it with null', async () => {
      const user = await registerUser(t);
      const session = await newSession(user);
      const quota = () => request(t.server).get(`${API}/usage/quota`).set(user.auth).expect(200);
      expect((await quota()).body).toMatchObject({ daily_token_limit: null, daily_message_limit: null, messages_today: 0 });

      const set = await request(t.server).patch(`${API}/users/${user.id}`).set(adminAuth).send({ daily_message_limit: 2 }).expect(200);
      expect(set.body).toMatchObject({ daily_message_limit: 2, daily_token_limit: null });
      await append(user, session, { role: 'user', content: 'one' }).expect(201);
      await append(user, session, { role: 'user', content: 'two' }).expect(201);
      const refused = await append(user, session, { role: 'user', content: 'three' });
      expectProblem(refused, 429, 'quota_exceeded');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // The limit counts user messages only.
      await append(user, session, assistant('m1', 5, 5)).expect(201);
      const status = (await quota()).body;
      expect(status).toEqual({
        daily_token_limit: null,
        daily_message_limit: 2,
        tokens_used_today: 10,
        messages_today: 2,
        resets_at: new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1)).toISOString(),
      });

      await request(t.server).patch(`${API}/users/${user.id}`).set(adminAuth).send({ daily_message_limit: null }).expect(200);
      await append(user, session, { role: 'user', content: 'three again' }).expect(201);
      expect(
        (await db.query(`SELECT count(*)::int AS n FROM chat_messages WHERE user_id = $1 AND role = 'user'`, [user.id])).rows[0].n,
      ).toBe(3);
    });

    it('validates limits', async () => {
      const user = await registerUser(t);
      for (const body of [{ daily_token_limit: -1 }, { daily_message_limit: 1.5 }, { daily_message_limit: '5' }]) {
        expectProblem(await request(t.server).patch(`${API}/users/${user.id}`).set(adminAuth).send(body), 400, 'validation_failed');
      }
    });
  });

  it('needs a token, and admin for /admin/usage', async () => {
    for (const path of ['/usage', '/usage/stats', '/usage/quota', '/admin/usage']) {
      expectProblem(await request(t.server).get(`${API}${path}`), 401, 'unauthorized');
    }
  });
});

describe('quotas from defaults, under concurrency (two instances)', () => {
  let instances: (TestApp & { url: string })[];
  const db = testPool();

  beforeAll(async () => {
    const env = { DEFAULT_DAILY_MESSAGE_LIMIT: '5', DEFAULT_DAILY_TOKEN_LIMIT: '1000' };
    instances = [await startTestApp(env), await startTestApp(env)];
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await db.end();
  });

  it('20 concurrent user messages against a limit of 5 store exactly 5; the rest get 429 with Retry-After', async () => {
    const user = await registerUser(instances[0]);
    const sessions = await Promise.all(
      [0, 1].map(async (i) => (await call(instances[i].url, 'POST', `${API}/sessions`, user.accessToken, {})).body.id as string),
    );
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(instances[i % 2].url, 'POST', `${API}/sessions/${sessions[i % 2]}/messages`, user.accessToken, {
          role: 'user',
          content: `q${i}`,
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(201), ...Array(15).fill(429)]);
    for (const refused of responses.filter((r) => r.status === 429)) {
      expect(refused.body.code).toBe('quota_exceeded');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
    }
    const stored = await db.query(`SELECT count(*)::int AS n FROM chat_messages WHERE user_id = $1`, [user.id]);
    expect(stored.rows[0].n).toBe(5);
    const counted = await db.query('SELECT sum(user_messages)::int AS n FROM usage_daily_totals WHERE user_id = $1', [user.id]);
    expect(counted.rows[0].n).toBe(5);
  });

  it('refuses user messages once the token limit is reached, and stores nothing for a refused batch', async () => {
    const user = await registerUser(instances[0]);
    const session = (await call(instances[0].url, 'POST', `${API}/sessions`, user.accessToken, {})).body.id;
    const post = (body: object, path = 'messages') =>
      call(instances[1].url, 'POST', `${API}/sessions/${session}/${path}`, user.accessToken, body);
    expect((await post({ role: 'user', content: 'hello' })).status).toBe(201);
    // Model replies are accounted, never refused: the tokens were spent already.
    expect((await post({ role: 'assistant', content: 'long answer', usage: { prompt_tokens: 900, completion_tokens: 200 } })).status).toBe(
      201,
    );
    const refused = await post({ role: 'user', content: 'more' });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('quota_exceeded');
    const batch = await post(
      {
        messages: [
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'y' },
        ],
      },
      'messages/batch',
    );
    expect(batch.status).toBe(429);
    const stored = await db.query('SELECT seq, role FROM chat_messages WHERE user_id = $1 ORDER BY seq', [user.id]);
    expect(stored.rows).toEqual([
      { seq: 1, role: 'user' },
      { seq: 2, role: 'assistant' },
    ]);
  });
});

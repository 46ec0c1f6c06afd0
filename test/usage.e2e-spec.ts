import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { call } from './support/http.js';
import { createTestApp, startTestApp, testPool, type TestApp } from './support/test-app.js';

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

    it('groups by session exactly', async () => {
      const res = await usage(user, { group_by: 'session' }).expect(200);
      expect(res.body.buckets).toEqual([bucket(primary, 150, 30, 3), bucket(research, 30, 5, 3)]);
    });

    it('splits by UTC day and honours the date range', async () => {
      const other = await registerUser(t);
      const session = await newSession(other);
      await append(other, session, assistant('m1', 10, 1)).expect(201);
      await append(other, session, assistant('m2', 20, 2)).expect(201);
      await db.query(`UPDATE usage_daily SET day = day - 3 WHERE user_id = $1 AND model = 'm1'`, [other.id]);
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
      await db.query('UPDATE usage_daily SET day = $2 WHERE user_id = ANY($1)', [[big.id, small.id], day]);
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
    const counted = await db.query('SELECT sum(user_messages)::int AS n FROM usage_daily WHERE user_id = $1', [user.id]);
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

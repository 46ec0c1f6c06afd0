import { API, registerUser, type TestUser } from './support/factories.js';
import { call } from './support/http.js';
import { appWithFakeLlm, startTestApp, testPool, type TestApp } from './support/test-app.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every kind of request that takes a transaction or a lock: chat (new, existing, streamed), append under a quota, create. */
async function burst(t: TestApp & { url: string }, users: TestUser[]) {
  const sessions = await Promise.all(users.map(async (u) => (await call(t.url, 'POST', `${API}/sessions`, u.accessToken, {})).body.id));
  const requests = users.flatMap((u, i) => [
    call(t.url, 'POST', `${API}/chat`, u.accessToken, { message: `new session ${i}` }),
    call(t.url, 'POST', `${API}/chat`, u.accessToken, { message: `existing ${i}`, session_id: sessions[i] }),
    fetch(`${t.url}${API}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: `streamed ${i}`, stream: true }),
    }).then(async (res) => ({ status: res.status, text: await res.text() })),
    call(t.url, 'POST', `${API}/sessions/${sessions[i]}/messages`, u.accessToken, { role: 'user', content: `append ${i}` }),
    call(t.url, 'POST', `${API}/sessions`, u.accessToken, { title: `created ${i}` }),
  ]);
  return Promise.all(requests);
}

describe('one pooled connection per request', () => {
  // A daily message limit puts appends and chat turns on their quota transactions.
  const quota = { DEFAULT_DAILY_MESSAGE_LIMIT: '10000' };

  it('serves a burst of 20 users on a pool of 2 without a 503', async () => {
    const t = await startTestApp({ ...quota, DATABASE_POOL_SIZE: '2' });
    try {
      const users = await Promise.all(range(20).map(() => registerUser(t)));
      const responses = await burst(t, users);
      const failures = responses.filter((r) => r.status >= 300).map((r) => r.status);
      expect(failures).toEqual([]);
      const streamed = responses.filter((r) => 'text' in r) as { text: string }[];
      expect(streamed.every((r) => r.text.includes('event: done'))).toBe(true);
    } finally {
      await t.close();
    }
  }, 90_000);

  it('completes every kind of request on a pool of ONE connection (no request waits for a second)', async () => {
    const t = await startTestApp({ ...quota, DATABASE_POOL_SIZE: '1', DATABASE_CONNECT_TIMEOUT_MS: '2000' });
    try {
      const user = await registerUser(t);
      const responses = await burst(t, [user]);
      expect(responses.map((r) => r.status)).toEqual([201, 201, 200, 201, 201]);
      const session = (await call(t.url, 'POST', `${API}/sessions`, user.accessToken, {})).body.id;
      for (const path of [
        `/sessions/${session}`,
        `/sessions/${session}/messages`,
        `/sessions/${session}/stats`,
        '/usage/quota',
        '/usage',
      ]) {
        expect([path, (await call(t.url, 'GET', `${API}${path}`, user.accessToken)).status]).toEqual([path, 200]);
      }
    } finally {
      await t.close();
    }
  }, 60_000);
});

describe('fair shares per user', () => {
  const { fake, app } = appWithFakeLlm({ PER_USER_CONCURRENCY: '2', PER_USER_QUEUE_MS: '100', DATABASE_LOCK_TIMEOUT_MS: '300' });
  const db = testPool();
  let t: TestApp & { url: string };

  beforeAll(() => {
    t = app();
  });
  afterAll(() => db.end());

  it('queues a user beyond PER_USER_CONCURRENCY briefly, then answers 429 with Retry-After; others are served', async () => {
    fake.script = { kind: 'stream', chunks: ['slow'], delayMs: 1500, usage: { prompt_tokens: 1, completion_tokens: 1 } };
    const [flooder, other] = [await registerUser(t), await registerUser(t)];
    const flood = range(6).map((i) => call(t.url, 'POST', `${API}/chat`, flooder.accessToken, { message: `flood ${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await call(t.url, 'GET', `${API}/sessions`, other.accessToken)).status).toBe(200);
    const answers = await Promise.all(flood);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 429, 429, 429, 429]);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.body.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('gives up a lock wait after DATABASE_LOCK_TIMEOUT_MS with 429, not a held connection', async () => {
    const user = await registerUser(t);
    const holder = await db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
      const started = performance.now();
      const res = await call(t.url, 'POST', `${API}/sessions`, user.accessToken, {});
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('rate_limited');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await call(t.url, 'POST', `${API}/sessions`, user.accessToken, {})).status).toBe(201);
  });

  it('200 session creations at once from one user: only 201 or 429, while another user is served', async () => {
    const [flooder, other] = [await registerUser(t), await registerUser(t)];
    const flood = range(200).map(() => call(t.url, 'POST', `${API}/sessions`, flooder.accessToken, {}));
    const others: number[] = [];
    for (const _ of range(5)) others.push((await call(t.url, 'GET', `${API}/sessions`, other.accessToken)).status);
    const statuses = new Set((await Promise.all(flood)).map((r) => r.status));
    expect([...statuses].filter((s) => s !== 201 && s !== 429)).toEqual([]);
    expect(others).toEqual([200, 200, 200, 200, 200]);
    const active = await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1 AND is_active', [flooder.id]);
    expect(active.rows[0].n).toBe(5);
  });
});

describe('bounded password hashing', () => {
  // The default slots; the queue deadline is raised so a machine busy with other work cannot fail the wave.
  it('40 concurrent logins all succeed with the default hashing slots', async () => {
    const t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '0', PASSWORD_HASH_QUEUE_MS: '150000' });
    try {
      const user = await registerUser(t);
      const logins = await Promise.all(
        range(40).map(() => call(t.url, 'POST', `${API}/auth/login`, '', { email: user.email, password: user.password })),
      );
      expect(logins.map((r) => r.status)).toEqual(Array(40).fill(200));
    } finally {
      await t.close();
    }
  }, 200_000);

  it('answers 503 with Retry-After when a login waits longer than PASSWORD_HASH_QUEUE_MS', async () => {
    const t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '0', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_MS: '50' });
    try {
      const user = await registerUser(t);
      const logins = await Promise.all(
        range(6).map(() => call(t.url, 'POST', `${API}/auth/login`, '', { email: user.email, password: user.password })),
      );
      const statuses = logins.map((r) => r.status);
      expect(statuses).toContain(200);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 503)).toBe(true);
      const busy = logins.find((r) => r.status === 503)!;
      expect(busy.body.code).toBe('service_unavailable');
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  }, 60_000);
});

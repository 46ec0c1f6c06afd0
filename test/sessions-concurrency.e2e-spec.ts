import request from 'supertest';
import { API, registerUser } from './support/factories.js';
import { call } from './support/http.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';

const CONCURRENT = 50;

/** Two app instances on one database: the limit must hold across processes, not just within one. */
describe.each([['evict_oldest'], ['reject']])('active-session limit under concurrency (%s)', (policy) => {
  let instances: (TestApp & { url: string })[];
  const db = testPool();

  beforeAll(async () => {
    instances = [await startTestApp({ SESSION_LIMIT_POLICY: policy }), await startTestApp({ SESSION_LIMIT_POLICY: policy })];
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await db.end();
  });

  it(`${CONCURRENT} concurrent creates for one user and agent type leave exactly 5 active`, async () => {
    const user = await registerUser(instances[0]);
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        call(instances[i % 2].url, 'POST', `${API}/sessions`, user.accessToken, { title: `concurrent ${i}`, agent_type: 'research' }),
      ),
    );
    const created = responses.filter((r) => r.status === 201).map((r) => r.body);
    const active = (await db.query('SELECT id FROM chat_sessions WHERE user_id = $1 AND is_active', [user.id])).rows.map((r) => r.id);
    expect(active).toHaveLength(5);

    if (policy === 'evict_oldest') {
      expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(201));
      const evicted = created.flatMap((s) => s.evicted_session_ids as string[]);
      expect(evicted).toHaveLength(CONCURRENT - 5);
      expect(new Set(evicted).size).toBe(evicted.length);
      // Every created session is now either one of the 5 active ones or was reported evicted exactly once.
      expect(new Set([...evicted, ...active])).toEqual(new Set(created.map((s) => s.id)));
      const reasons = await db.query('SELECT deactivated_reason, count(*)::int AS n FROM chat_sessions WHERE user_id = $1 GROUP BY 1', [
        user.id,
      ]);
      expect(reasons.rows).toEqual(expect.arrayContaining([{ deactivated_reason: 'session_limit', n: CONCURRENT - 5 }]));
    } else {
      expect(created).toHaveLength(5);
      expect(responses.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(
        Array(CONCURRENT - 5).fill('session_limit_reached'),
      );
      const stored = await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1', [user.id]);
      expect(stored.rows[0].n).toBe(5);
    }
    // The instances agree on the outcome.
    const listed = await request(instances[1].server)
      .get(`${API}/sessions`)
      .query({ is_active: true, page_size: 100 })
      .set(user.auth)
      .expect(200);
    expect(new Set(listed.body.data.map((s: { id: string }) => s.id))).toEqual(new Set(active));
  });
});

import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';

const MESSAGES = 1200;

/** Deep search pages: snippets only for the rows returned, `page` bounded, cursor for the rest. */
describe('search at depth', () => {
  let t: TestApp;
  const db = testPool();
  let user: TestUser;
  const search = (query: object) => request(t.server).get(`${API}/messages/search`).query(query).set(user.auth);

  beforeAll(async () => {
    // Every match ranked (best first, exact total): the deepest pages of the costliest order.
    t = await createTestApp({ SEARCH_MAX_PAGE_DEPTH: '1000', SEARCH_EXACT_TOTAL_LIMIT: String(MESSAGES) });
    user = await registerUser(t);
    const session = await request(t.server).post(`${API}/sessions`).set(user.auth).send({ title: 'deep' }).expect(201);
    // Long messages, as in the report that found 28 s pages: ts_headline's cost grows with the text.
    await db.query(
      `INSERT INTO chat_messages (session_id, user_id, seq, role, agent_type, content)
       SELECT $1, $2, g, 'user', 'primary', repeat('the nightly import failed again because the feed changed ', 80) || g
         FROM generate_series(1, $3::int) g`,
      [session.body.id, user.id, MESSAGES],
    );
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const median = async (query: object) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await search(query).expect(200);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[1];
  };

  it('pages as deep as SEARCH_MAX_PAGE_DEPTH cost about what the first page costs', async () => {
    const first = await median({ q: 'import', page: 1, page_size: 20 });
    const deepest = await median({ q: 'import', page: 50, page_size: 20 });
    // Before, the 50th page ran ts_headline for 1,000 skipped rows: over 20 times the first page.
    expect(deepest).toBeLessThan(first * 4 + 150);
    const res = await search({ q: 'import', page: 50, page_size: 20 }).expect(200);
    expect(res.body).toMatchObject({ total: MESSAGES, total_is_estimate: false, order: 'rank', page: 50, has_more: true });
    expect(res.body.data).toHaveLength(20);
    expect(res.body.data[0].snippet).toContain('<mark>import</mark>');
  });

  it.each([[{ page: 51, page_size: 20 }], [{ page: 11, page_size: 100 }], [{ page: 1_000_000 }]])(
    'refuses %j beyond the maximum depth, pointing to the cursor',
    async (query) => {
      const res = await search({ q: 'import', ...query });
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([
        { field: 'page', message: expect.stringMatching(/1000.*cursor/) },
      ]);
    },
  );

  it('the cursor goes past that depth, every row exactly once, each with its snippet', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await search({ q: 'import', page_size: 100, ...(cursor ? { cursor } : {}) }).expect(200);
      for (const hit of res.body.data) seen.add(hit.id);
      expect(res.body.data.every((hit: { snippet: string }) => hit.snippet.includes('<mark>'))).toBe(true);
      cursor = res.body.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(MESSAGES);
    expect(pages).toBe(MESSAGES / 100);
  });
});

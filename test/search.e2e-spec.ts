import request from 'supertest';
import { API, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';

interface Hit {
  id: string;
  session_id: string;
  seq: number;
  snippet: string;
  rank: number;
  created_at: string;
}

const EXACT_LIMIT = 5;

/**
 * Search beyond SEARCH_EXACT_TOTAL_LIMIT (5 here, so the data stays small): newest first with an estimated
 * total, cursor walks that keep their order, the session filter, and what a search can never see.
 */
describe('message search beyond the exact limit', () => {
  let t: TestApp;
  const db = testPool();
  let user: TestUser;
  let first: string;
  let second: string;
  let deleted: string;
  const ids = new Map<string, string[]>();

  const search = (query: object) => request(t.server).get(`${API}/messages/search`).query(query).set(user.auth);
  const newSession = async (title: string) =>
    (await request(t.server).post(`${API}/sessions`).set(user.auth).send({ title }).expect(201)).body.id as string;
  /** One message per request, so created_at grows with seq. */
  const append = async (sessionId: string, content: string) => {
    const res = await request(t.server).post(`${API}/sessions/${sessionId}/messages`).set(user.auth).send({ role: 'user', content });
    expect(res.status).toBe(201);
    ids.set(content.split(' ')[0], [...(ids.get(content.split(' ')[0]) ?? []), res.body.id]);
    return res.body.id as string;
  };
  const walk = async (query: object, pageSize: number) => {
    const pages: { data: Hit[]; order: string; total: number; total_is_estimate: boolean }[] = [];
    let cursor: string | undefined;
    do {
      const res = await search({ ...query, page_size: pageSize, ...(cursor ? { cursor } : {}) }).expect(200);
      pages.push(res.body);
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor && pages.length < 20);
    return pages;
  };

  beforeAll(async () => {
    t = await createTestApp({ SEARCH_EXACT_TOTAL_LIMIT: String(EXACT_LIMIT) });
    user = await registerUser(t);
    [first, second, deleted] = [await newSession('First'), await newSession('Second'), await newSession('Deleted')];
    for (let i = 1; i <= 8; i++) await append(first, `apple-first number ${i} apple pie`);
    for (let i = 1; i <= 4; i++) await append(second, `apple-second number ${i} apple crumble`);
    for (let i = 1; i <= 3; i++) await append(deleted, `apple-deleted number ${i} apple and cherry`);
    await request(t.server).delete(`${API}/sessions/${deleted}`).set(user.auth).expect(204);
    const other = await registerUser(t);
    const theirs = (await request(t.server).post(`${API}/sessions`).set(other.auth).send({}).expect(201)).body.id;
    await request(t.server)
      .post(`${API}/sessions/${theirs}/messages`)
      .set(other.auth)
      .send({ role: 'user', content: 'apple cherry' })
      .expect(201);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  it('up to the limit: exact total, best first', async () => {
    const res = await search({ q: 'crumble' }).expect(200);
    expect(res.body).toMatchObject({ total: 4, total_is_estimate: false, order: 'rank', has_more: false });
    const ranks = res.body.data.map((hit: Hit) => hit.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it('beyond the limit: newest first, total an estimate of at least the limit + 1', async () => {
    const res = await search({ q: 'apple' }).expect(200);
    expect(res.body).toMatchObject({ total_is_estimate: true, order: 'newest', has_more: false });
    expect(res.body.total).toBeGreaterThan(EXACT_LIMIT);
    const hits: Hit[] = res.body.data;
    expect(hits.map((hit) => hit.id)).toEqual([...ids.get('apple-second')!].reverse().concat([...ids.get('apple-first')!].reverse()));
    expect(hits.every((hit) => hit.snippet.includes('<mark>apple</mark>') && hit.rank > 0)).toBe(true);
  });

  it('walks every visible match exactly once by cursor, newest first on every page', async () => {
    const pages = await walk({ q: 'apple' }, 5);
    expect(pages.map((page) => [page.order, page.total_is_estimate])).toEqual([
      ['newest', true],
      ['newest', true],
      ['newest', true],
    ]);
    const hits = pages.flatMap((page) => page.data);
    expect(hits.map((hit) => hit.id)).toEqual([...ids.get('apple-second')!].reverse().concat([...ids.get('apple-first')!].reverse()));
    const times = hits.map((hit) => Date.parse(hit.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('within one session: newest first by seq, by cursor too', async () => {
    const pages = await walk({ q: 'apple', session_id: first }, 3);
    expect(pages.every((page) => page.order === 'newest' && page.total_is_estimate)).toBe(true);
    const hits = pages.flatMap((page) => page.data);
    expect(hits.map((hit) => hit.seq)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(new Set(hits.map((hit) => hit.session_id))).toEqual(new Set([first]));
    const few = await search({ q: 'apple', session_id: second }).expect(200);
    expect(few.body).toMatchObject({ total: 4, total_is_estimate: false, order: 'rank' });
  });

  it("never shows a deleted session's messages, in either order, until it is restored", async () => {
    expect((await search({ q: 'cherry' }).expect(200)).body).toMatchObject({ total: 0, data: [] });
    const hits = (await walk({ q: 'apple' }, 100)).flatMap((page) => page.data);
    expect(hits.some((hit) => hit.session_id === deleted)).toBe(false);
    expect((await search({ q: 'apple', session_id: deleted }).expect(200)).body).toMatchObject({ total: 0, data: [] });
    await request(t.server).post(`${API}/sessions/${deleted}/restore`).set(user.auth).expect(200);
    try {
      expect((await search({ q: 'cherry' }).expect(200)).body).toMatchObject({ total: 3, order: 'rank' });
    } finally {
      await request(t.server).delete(`${API}/sessions/${deleted}`).set(user.auth).expect(204);
    }
  });

  it('many matches, densely among the newest: counted by estimate, walked newest first, each exactly once', async () => {
    const plums = Array.from({ length: 60 }, (_, i) => ({ role: 'user', content: `plum number ${i}` }));
    await request(t.server).post(`${API}/sessions/${second}/messages/batch`).set(user.auth).send({ messages: plums }).expect(201);
    const pages = await walk({ q: 'plum' }, 25);
    expect(pages.map((page) => [page.order, page.total_is_estimate, page.data.length])).toEqual([
      ['newest', true, 25],
      ['newest', true, 25],
      ['newest', true, 10],
    ]);
    expect(pages[0].total).toBe(60);
    const hits = pages.flatMap((page) => page.data);
    expect(new Set(hits.map((hit) => hit.id)).size).toBe(60);
    // One batch shares its created_at: newest first, then by id.
    const keys = hits.map((hit) => [Date.parse(hit.created_at), hit.id] as const);
    expect(keys).toEqual([...keys].sort(([at, id], [bt, bid]) => bt - at || (bid > id ? 1 : -1)));
  });

  it('a cursor walk keeps its order when the match count crosses the limit meanwhile', async () => {
    for (let i = 1; i <= 4; i++) await append(second, `kiwi number ${i}${' kiwi'.repeat(i)}`);
    const start = await search({ q: 'kiwi', page_size: 2 }).expect(200);
    expect(start.body).toMatchObject({ total: 4, total_is_estimate: false, order: 'rank' });
    for (let i = 5; i <= 7; i++) await append(second, `kiwi number ${i}`);
    const next = await search({ q: 'kiwi', page_size: 2, cursor: start.body.next_cursor }).expect(200);
    expect(next.body).toMatchObject({ total_is_estimate: true, order: 'rank' });
    expect(next.body.data[0].rank).toBeLessThanOrEqual(start.body.data[1].rank);
    expect((await search({ q: 'kiwi' }).expect(200)).body.order).toBe('newest');
  });
});

describe('session title search', () => {
  let t: TestApp;
  const db = testPool();
  let user: TestUser;
  const create = async (who: TestUser, title: string) =>
    (await request(t.server).post(`${API}/sessions`).set(who.auth).send({ title }).expect(201)).body.id as string;
  const titles = async (search: string) =>
    (await request(t.server).get(`${API}/sessions`).query({ search }).set(user.auth).expect(200)).body.data.map(
      (s: { title: string }) => s.title,
    );

  beforeAll(async () => {
    t = await createTestApp();
    user = await registerUser(t);
    await create(user, 'Quarterly Xylophone review');
    await create(user, 'xylophone tuning');
    await create(user, 'Unrelated');
    const gone = await create(user, 'Xylophone deleted');
    await request(t.server).delete(`${API}/sessions/${gone}`).set(user.auth).expect(204);
    await create(await registerUser(t), 'Xylophone of someone else');
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  it("matches a case-insensitive substring of the caller's visible titles", async () => {
    expect(new Set(await titles('XYLO'))).toEqual(new Set(['Quarterly Xylophone review', 'xylophone tuning']));
    expect(new Set(await titles('lophon'))).toEqual(new Set(['Quarterly Xylophone review', 'xylophone tuning']));
    expect(await titles('ly Xy')).toEqual(['Quarterly Xylophone review']);
    expect(await titles('deleted')).toEqual([]);
  });

  it('has a trigram index over (user_id, title) for the visible sessions the list reads', async () => {
    // A few rows plan as a scan of the user's btree; the scratch measurement at 10,000 sessions uses this one.
    const { rows } = await db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'chat_sessions_user_title_trgm_idx'`);
    expect(rows.map((row) => row.indexdef)).toEqual([
      expect.stringMatching(/gin \(user_id, title gin_trgm_ops\) WHERE \(deleted_at IS NULL\)$/),
    ]);
  });
});

import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const RICH = { source: 'web', tags: ['billing', 'urgent'], score: 3, pinned: true, nested: { deep: { k: 'v' } }, none: null };
const PLAIN = { source: 'cli', tags: ['billing'], score: 3.0, pinned: false };

describe('metadata filters (JSON containment)', () => {
  let t: TestApp;
  let user: TestUser;
  let stranger: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ METADATA_EXACT_TOTAL_LIMIT: '3' });
    [user, stranger] = [await registerUser(t), await registerUser(t)];
    const create = async (who: TestUser, body: object) =>
      (await request(t.server).post(`${API}/sessions`).set(who.auth).send(body).expect(201)).body.id as string;
    ids.rich = await create(user, { title: 'rich', metadata: RICH });
    ids.plain = await create(user, { title: 'plain', agent_type: 'research', metadata: PLAIN });
    ids.empty = await create(user, { title: 'empty' });
    ids.foreign = await create(stranger, { title: 'foreign', metadata: RICH });
  });
  afterAll(() => t.close());

  const sessions = (query: Record<string, unknown>, who = user) => request(t.server).get(`${API}/sessions`).query(query).set(who.auth);
  const titles = (res: request.Response) => (res.body.data as { title: string }[]).map((s) => s.title).sort();

  describe('GET /sessions?metadata=', () => {
    it.each([
      [{ source: 'web' }, ['rich']],
      [{ tags: ['billing'] }, ['plain', 'rich']],
      [{ tags: ['urgent', 'billing'] }, ['rich']],
      [{ score: 3 }, ['plain', 'rich']],
      [{ score: 3.0, pinned: false }, ['plain']],
      [{ pinned: true }, ['rich']],
      [{ nested: { deep: { k: 'v' } } }, ['rich']],
      [{ nested: {} }, ['rich']],
      [{ none: null }, ['rich']],
      [{ source: 'Web' }, []],
      [{ tags: 'billing' }, []],
      [{ score: '3' }, []],
      [{}, ['empty', 'plain', 'rich']],
    ])('%j matches %j, never the other user’s session with the same metadata', async (filter, expected) => {
      const res = await sessions({ metadata: JSON.stringify(filter) }).expect(200);
      expect(titles(res)).toEqual(expected);
      expect(res.body).toMatchObject({ total: expected.length, total_is_estimate: false });
    });

    it('combines with the other filters and with both paging modes', async () => {
      const billing = JSON.stringify({ tags: ['billing'] });
      expect(titles(await sessions({ metadata: billing, agent_type: 'research' }).expect(200))).toEqual(['plain']);
      expect(titles(await sessions({ metadata: billing, search: 'ric' }).expect(200))).toEqual(['rich']);
      expect(titles(await sessions({ metadata: billing, is_active: false }).expect(200))).toEqual([]);
      // Numbers compare as numbers: 3.0 is 3.
      expect(titles(await sessions({ metadata: '{"score":3.0}' }).expect(200))).toEqual(['plain', 'rich']);
      const second = await sessions({ metadata: billing, page_size: 1, page: 2, order_by: 'created_at', order: 'asc' }).expect(200);
      expect(second.body).toMatchObject({ total: 2, page: 2, has_more: false, data: [{ title: 'plain' }] });

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await sessions({ metadata: billing, page_size: 1, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...titles(page));
        cursor = page.body.next_cursor ?? undefined;
      } while (cursor);
      expect(seen.sort()).toEqual(['plain', 'rich']);
      // A cursor belongs to its filter.
      const first = await sessions({ metadata: billing, page_size: 1 }).expect(200);
      expectProblem(await sessions({ metadata: '{"source":"web"}', cursor: first.body.next_cursor }), 400, 'validation_failed');
    });

    it('counts up to METADATA_EXACT_TOTAL_LIMIT, then estimates and says so', async () => {
      const many = await registerUser(t);
      for (let i = 0; i < 5; i++) {
        await request(t.server)
          .post(`${API}/sessions`)
          .set(many.auth)
          .send({ metadata: { batch: 'x', i } })
          .expect(201);
      }
      const all = await sessions({ metadata: '{"batch":"x"}', page_size: 2 }, many).expect(200);
      expect(all.body).toMatchObject({ total_is_estimate: true, has_more: true });
      expect(all.body.total).toBeGreaterThanOrEqual(4);
      const few = await sessions({ metadata: '{"i":1}' }, many).expect(200);
      expect(few.body).toMatchObject({ total: 1, total_is_estimate: false });
      // Without a metadata filter the total is always exact.
      expect((await sessions({}, many).expect(200)).body).toMatchObject({ total: 5, total_is_estimate: false });
    });
  });

  describe('GET /sessions/{id}/messages?metadata=', () => {
    let session: string;
    beforeAll(async () => {
      session = ids.rich;
      const messages = [
        { role: 'user', content: 'one', metadata: { audio: { file: 'a.mp3', seconds: 12 } } },
        { role: 'assistant', content: 'two', metadata: { finish_reason: 'stop', is_fortune: true } },
        { role: 'assistant', content: 'three', metadata: { finish_reason: 'stop', tools: ['search', 'calc'] } },
        { role: 'tool', content: 'four', metadata: { tools: ['calc'], is_fortune: false } },
        { role: 'assistant', content: 'five' },
        { role: 'assistant', content: 'six', metadata: { finish_reason: 'length', is_fortune: true } },
      ];
      await request(t.server).post(`${API}/sessions/${session}/messages/batch`).set(user.auth).send({ messages }).expect(201);
      await request(t.server)
        .post(`${API}/sessions/${ids.foreign}/messages`)
        .set(stranger.auth)
        .send({ role: 'assistant', content: 'foreign', metadata: { finish_reason: 'stop' } })
        .expect(201);
    });
    const history = (query: Record<string, unknown>, id = session, who = user) =>
      request(t.server).get(`${API}/sessions/${id}/messages`).query(query).set(who.auth);
    const contents = (res: request.Response) => (res.body.data as { content: string }[]).map((m) => m.content);

    it.each([
      [{ finish_reason: 'stop' }, ['two', 'three']],
      [{ is_fortune: true }, ['two', 'six']],
      [{ is_fortune: false }, ['four']],
      [{ tools: ['calc'] }, ['three', 'four']],
      [{ audio: { seconds: 12 } }, ['one']],
      [{ audio: { seconds: 12.0, file: 'a.mp3' } }, ['one']],
      [{ finish_reason: 'stop', tools: ['search'] }, ['three']],
      [{ missing: true }, []],
      [{}, ['one', 'two', 'three', 'four', 'five', 'six']],
    ])('%j matches %j in seq order, with an exact total', async (filter, expected) => {
      const res = await history({ metadata: JSON.stringify(filter) }).expect(200);
      expect(contents(res)).toEqual(expected);
      expect(res.body).toMatchObject({ total: expected.length, total_is_estimate: false });
    });

    it('combines with role, order and both paging modes; another user’s session is a 404', async () => {
      const stop = JSON.stringify({ finish_reason: 'stop' });
      expect(contents(await history({ metadata: '{"is_fortune":true}', role: 'assistant', order: 'desc' }).expect(200))).toEqual([
        'six',
        'two',
      ]);
      expect((await history({ metadata: '{"tools":["calc"]}', role: 'tool' }).expect(200)).body).toMatchObject({ total: 1 });
      expect(contents(await history({ metadata: stop, page_size: 1, page: 2 }).expect(200))).toEqual(['three']);
      const first = await history({ metadata: stop, page_size: 1 }).expect(200);
      expect(first.body).toMatchObject({ total: 2, has_more: true, data: [{ content: 'two' }] });
      const next = await history({ metadata: stop, page_size: 1, cursor: first.body.next_cursor }).expect(200);
      expect(next.body).toMatchObject({ has_more: false, next_cursor: null, data: [{ content: 'three' }] });
      expectProblem(await history({ metadata: '{"is_fortune":true}', cursor: first.body.next_cursor }), 400, 'validation_failed');
      expectProblem(await history({ metadata: stop }, ids.foreign), 404, 'session_not_found');
      expect(contents(await history({ metadata: stop }, ids.foreign, stranger).expect(200))).toEqual(['foreign']);
    });

    it('counts a short history exactly; in a long one estimates dense matches beyond METADATA_EXACT_TOTAL_LIMIT, counts sparse ones', async () => {
      const few = Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: `m${i}`, metadata: { hint: 'x' } }));
      await request(t.server).post(`${API}/sessions/${ids.plain}/messages/batch`).set(user.auth).send({ messages: few }).expect(201);
      // Shorter than the probe window (500): counted exactly, beyond the limit of 3 too.
      expect((await history({ metadata: '{"hint":"x"}' }, ids.plain).expect(200)).body).toMatchObject({
        total: 5,
        total_is_estimate: false,
      });

      for (let b = 0; b < 6; b++) {
        const messages = Array.from({ length: 100 }, (_, i) => ({
          role: i % 2 ? 'assistant' : 'user',
          content: `bulk ${b}.${i}`,
          metadata: { hint: 'x', ...(b === 3 && i < 2 ? { rare: true } : {}), ...(b === 5 && i % 20 === 0 ? { near: true } : {}) },
        }));
        await request(t.server).post(`${API}/sessions/${ids.plain}/messages/batch`).set(user.auth).send({ messages }).expect(201);
      }
      const dense = await history({ metadata: '{"hint":"x"}', page_size: 2, order: 'desc' }, ids.plain).expect(200);
      expect(dense.body).toMatchObject({
        total: 605,
        total_is_estimate: true,
        has_more: true,
        data: [{ content: 'bulk 5.99' }, { content: 'bulk 5.98' }],
      });
      const byRole = await history({ metadata: '{"hint":"x"}', role: 'assistant' }, ids.plain).expect(200);
      expect(byRole.body).toMatchObject({ total: 300, total_is_estimate: false });
      const sparse = await history({ metadata: '{"rare":true}' }, ids.plain).expect(200);
      expect(sparse.body).toMatchObject({ total: 2, total_is_estimate: false, data: [{ content: 'bulk 3.0' }, { content: 'bulk 3.1' }] });
      // Dense among the newest but expected near the limit: counted (capped at the limit + 1, then estimated).
      const near = await history({ metadata: '{"near":true}', page_size: 2 }, ids.plain).expect(200);
      expect(near.body).toMatchObject({
        total_is_estimate: true,
        has_more: true,
        data: [{ content: 'bulk 5.0' }, { content: 'bulk 5.20' }],
      });
      expect(near.body.total).toBeGreaterThanOrEqual(4);
      const none = await history({ metadata: '{"rare":true}', role: 'tool' }, ids.plain).expect(200);
      expect(none.body).toMatchObject({ total: 0, total_is_estimate: false, data: [] });
    });
  });

  describe('invalid filters', () => {
    const cases: [string, string | string[]][] = [
      ['not JSON', '{source: web}'],
      ['truncated JSON', '{"a":'],
      ['an array', '[{"a":1}]'],
      ['a string', '"web"'],
      ['a number', '3'],
      ['null', 'null'],
      ['too long', JSON.stringify({ k: 'x'.repeat(2048) })],
      ['a NUL character', '{"k":"a\\u0000b"}'],
      ['a lone surrogate', '{"k":"\\ud800"}'],
      ['a NUL in a key', '{"a\\u0000":1}'],
      ['a number beyond a double (it would parse as Infinity and filter on null)', '{"a":{"b":[1e400]}}'],
      ['given twice', ['{"a":1}', '{"b":2}']],
      ['empty', ''],
    ];
    it.each(cases)('%s: 400 validation_failed naming metadata, on both routes', async (_, metadata) => {
      for (const path of ['/sessions', `/sessions/${ids.rich}/messages`]) {
        const res = await request(t.server).get(`${API}${path}`).query({ metadata }).set(user.auth);
        const problem = expectProblem(res, 400, 'validation_failed');
        expect(problem.errors).toEqual([{ field: 'metadata', message: expect.stringMatching(/^metadata /) }]);
      }
    });

    it('401 without a token', async () => {
      expectProblem(await request(t.server).get(`${API}/sessions`).query({ metadata: '{"a":1}' }), 401, 'unauthorized');
    });
  });
});

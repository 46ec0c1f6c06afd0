import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { expectExactCounters } from './support/session-counters.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';

/** Stats and role totals come from counters on the session row; page mode is bounded, the cursor is not. */
describe('session counters, stats and history depth', () => {
  let t: TestApp;
  const db = testPool();
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ HISTORY_MAX_PAGE_DEPTH: '100', SESSIONS_MAX_PAGE_DEPTH: '20' });
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const newSession = async () => (await request(t.server).post(`${API}/sessions`).set(user.auth).send({}).expect(201)).body.id as string;
  const append = (sessionId: string, body: object) =>
    request(t.server).post(`${API}/sessions/${sessionId}/messages`).set(user.auth).send(body).expect(201);
  const batch = async (sessionId: string, messages: object[]) =>
    (await request(t.server).post(`${API}/sessions/${sessionId}/messages/batch`).set(user.auth).send({ messages }).expect(201)).body
      .data as { id: string; seq: number; created_at: string }[];
  const stats = async (sessionId: string) =>
    (await request(t.server).get(`${API}/sessions/${sessionId}/stats`).set(user.auth).expect(200)).body;
  const history = (sessionId: string, query: object) =>
    request(t.server).get(`${API}/sessions/${sessionId}/messages`).query(query).set(user.auth);
  const lastMessageAt = async (sessionId: string) =>
    (
      (await db.query('SELECT last_message_at FROM chat_sessions WHERE id = $1', [sessionId])).rows[0].last_message_at as Date
    ).toISOString();
  const EMPTY = {
    message_count: 0,
    messages_by_role: {},
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    first_message_at: null,
    last_message_at: null,
    duration_seconds: 0,
  };

  it('appends and batches move the per-role counts, token sums and first_message_at, as a recount shows', async () => {
    const sessionId = await newSession();
    expect(await stats(sessionId)).toEqual(EMPTY);
    const first = (await append(sessionId, { role: 'user', content: 'hello' })).body;
    await expectExactCounters(db, sessionId);
    await batch(sessionId, [
      { role: 'system', content: 'be brief' },
      { role: 'tool', content: '{"rows": 3}' },
      { role: 'assistant', content: 'three rows', usage: { prompt_tokens: 7, completion_tokens: 3 } },
      { role: 'assistant', content: 'anything else?', usage: { prompt_tokens: 5, completion_tokens: 0 } },
      { role: 'user', content: 'no' },
    ]);
    const counters = await expectExactCounters(db, sessionId);
    expect(counters.first_message_at?.toISOString()).toBe(first.created_at);
    const last = await lastMessageAt(sessionId);
    expect(await stats(sessionId)).toEqual({
      message_count: 6,
      messages_by_role: { user: 2, system: 1, tool: 1, assistant: 2 },
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      first_message_at: first.created_at,
      last_message_at: last,
      duration_seconds: (Date.parse(last) - Date.parse(first.created_at)) / 1000,
    });
  });

  it('a delete takes its role and tokens off, an edit changes no counter, and the oldest going moves first_message_at', async () => {
    const sessionId = await newSession();
    const [oldest, reply, tool] = await batch(sessionId, [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a', usage: { prompt_tokens: 4, completion_tokens: 2 } },
      { role: 'tool', content: 't' },
    ]);
    await request(t.server)
      .patch(`${API}/messages/${reply.id}`)
      .set(user.auth)
      .send({ content: 'A', metadata: { edited: true } })
      .expect(200);
    expect((await expectExactCounters(db, sessionId)).total_tokens).toBe(6);

    await request(t.server).delete(`${API}/messages/${reply.id}`).set(user.auth).expect(204);
    await expectExactCounters(db, sessionId);
    expect(await stats(sessionId)).toMatchObject({ message_count: 2, messages_by_role: { user: 1, tool: 1 }, total_tokens: 0 });

    await db.query(`UPDATE chat_messages SET created_at = created_at + interval '5 seconds' WHERE id = $1`, [tool.id]);
    await request(t.server).delete(`${API}/messages/${oldest.id}`).set(user.auth).expect(204);
    const counters = await expectExactCounters(db, sessionId);
    expect(counters.first_message_at!.getTime()).toBe(Date.parse(tool.created_at) + 5000);

    await request(t.server).delete(`${API}/messages/${tool.id}`).set(user.auth).expect(204);
    await expectExactCounters(db, sessionId);
    expect(await stats(sessionId)).toEqual(EMPTY);
  });

  it('clearing the history resets every counter, and the next append starts them again', async () => {
    const sessionId = await newSession();
    await batch(sessionId, [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a', usage: { prompt_tokens: 9, completion_tokens: 1 } },
    ]);
    await request(t.server).delete(`${API}/sessions/${sessionId}/messages`).set(user.auth).expect(204);
    await expectExactCounters(db, sessionId);
    expect(await stats(sessionId)).toEqual(EMPTY);
    const again = (await append(sessionId, { role: 'tool', content: 'fresh', usage: { prompt_tokens: 1, completion_tokens: 1 } })).body;
    await expectExactCounters(db, sessionId);
    expect(await stats(sessionId)).toMatchObject({
      message_count: 1,
      messages_by_role: { tool: 1 },
      total_tokens: 2,
      first_message_at: again.created_at,
      duration_seconds: 0,
    });
  });

  it("answers another user's session like a missing one", async () => {
    const sessionId = await newSession();
    const other = await registerUser(t);
    expectProblem(await request(t.server).get(`${API}/sessions/${sessionId}/stats`).set(other.auth), 404, 'session_not_found');
  });

  it("reports the role's counter as the total of a role-filtered history, on every page", async () => {
    const sessionId = await newSession();
    const roles = ['user', 'assistant', 'tool'];
    await batch(
      sessionId,
      Array.from({ length: 30 }, (_, i) => ({ role: roles[i % 3], content: `m${i + 1}` })),
    );
    const toolSeqs = Array.from({ length: 10 }, (_, i) => 3 * i + 3);
    const walked: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await history(sessionId, { role: 'tool', page_size: 4, ...(cursor ? { cursor } : {}) }).expect(200);
      expect(res.body.total).toBe(10);
      walked.push(...res.body.data.map((m: { seq: number; role: string }) => m.seq));
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor);
    expect(walked).toEqual(toolSeqs);

    // Moved by hand (the checks still hold): the total is the counter, not a count of the rows.
    await db.query('UPDATE chat_sessions SET tool_message_count = 7, user_message_count = user_message_count + 3 WHERE id = $1', [
      sessionId,
    ]);
    expect((await history(sessionId, { role: 'tool', order: 'desc' }).expect(200)).body).toMatchObject({ total: 7, page: 1 });
    expect((await history(sessionId, { role: 'user' }).expect(200)).body.total).toBe(13);
    expect((await history(sessionId, {}).expect(200)).body.total).toBe(30);
  });

  describe('page mode is bounded by a depth; the cursor is not', () => {
    it('history: page × page_size up to HISTORY_MAX_PAGE_DEPTH, then a 400 pointing to the cursor', async () => {
      const sessionId = await newSession();
      await batch(
        sessionId,
        Array.from({ length: 100 }, (_, i) => ({ role: 'user', content: `m${i + 1}` })),
      );
      await batch(
        sessionId,
        Array.from({ length: 20 }, (_, i) => ({ role: 'user', content: `m${i + 101}` })),
      );

      const deepest = await history(sessionId, { page: 2, page_size: 50 }).expect(200);
      expect(deepest.body).toMatchObject({ page: 2, has_more: true, total: 120 });
      for (const query of [{ page: 3, page_size: 50 }, { page: 11 }, { page: 2, page_size: 51, role: 'user' }, { page: 1_000_000 }]) {
        const res = await history(sessionId, query);
        expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([
          { field: 'page', message: 'page × page_size must not exceed 100; page deeper with cursor (next_cursor)' },
        ]);
      }
      // The first page skips nothing, so it is served at any page_size.
      expect((await history(sessionId, { page_size: 200 }).expect(200)).body.data).toHaveLength(120);

      const beyond = await history(sessionId, { cursor: deepest.body.next_cursor, page_size: 50 }).expect(200);
      expect(beyond.body.data.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
      expect(beyond.body).toMatchObject({ page: null, has_more: false });
    });

    it('session list: page × page_size up to SESSIONS_MAX_PAGE_DEPTH, then a 400 pointing to the cursor', async () => {
      const owner = await registerUser(t);
      for (let i = 0; i < 25; i++)
        await request(t.server)
          .post(`${API}/sessions`)
          .set(owner.auth)
          .send({ title: `s${i}` })
          .expect(201);
      const list = (query: object) => request(t.server).get(`${API}/sessions`).query(query).set(owner.auth);

      const deepest = await list({ page: 2, page_size: 10 }).expect(200);
      expect(deepest.body).toMatchObject({ page: 2, total: 25, has_more: true });
      const refused = expectProblem(await list({ page: 3, page_size: 10 }), 400, 'validation_failed');
      expect(refused.errors).toEqual([{ field: 'page', message: expect.stringMatching(/exceed 20; .*cursor/) }]);
      const beyond = await list({ cursor: deepest.body.next_cursor, page_size: 10 }).expect(200);
      expect(beyond.body.data).toHaveLength(5);
      expect(beyond.body.has_more).toBe(false);
    });
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';

describe('messages', () => {
  let t: TestApp;
  const db = testPool();

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const newSession = async (user: TestUser, body: object = {}) =>
    (await request(t.server).post(`${API}/sessions`).set(user.auth).send(body).expect(201)).body.id as string;
  const append = (user: TestUser, sessionId: string, body: object) =>
    request(t.server).post(`${API}/sessions/${sessionId}/messages`).set(user.auth).send(body);
  const sessionRow = async (id: string) =>
    (
      await db.query(
        'SELECT message_count, total_tokens, last_seq, last_message_preview, last_message_at, created_at FROM chat_sessions WHERE id = $1',
        [id],
      )
    ).rows[0];
  const storedSeqs = async (sessionId: string) =>
    (await db.query('SELECT seq FROM chat_messages WHERE session_id = $1 ORDER BY seq', [sessionId])).rows.map(
      (r: { seq: number }) => r.seq,
    );

  describe('append', () => {
    it('numbers messages 1, 2, 3 and keeps the session counters in step', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user, { agent_type: 'research' });
      const first = await append(user, sessionId, { role: 'user', content: 'Hello there' }).expect(201);
      expect(first.body).toEqual({
        id: expect.any(String),
        session_id: sessionId,
        seq: 1,
        role: 'user',
        content: 'Hello there',
        agent_type: 'research',
        model: null,
        metadata: {},
        prompt_tokens: null,
        completion_tokens: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const long = 'x'.repeat(250);
      const second = await append(user, sessionId, {
        role: 'assistant',
        content: long,
        model: 'gpt-4o-mini',
        agent_type: 'primary',
        metadata: { finish_reason: 'stop' },
        usage: { prompt_tokens: 120, completion_tokens: 30 },
      }).expect(201);
      expect(second.body).toMatchObject({ seq: 2, agent_type: 'primary', model: 'gpt-4o-mini', prompt_tokens: 120, completion_tokens: 30 });

      const session = await sessionRow(sessionId);
      expect(session).toMatchObject({ message_count: 2, total_tokens: 150, last_seq: 2, last_message_preview: long.slice(0, 200) });
      expect(session.last_message_at.getTime()).toBeGreaterThanOrEqual(session.created_at.getTime());
      const api = await request(t.server).get(`${API}/sessions/${sessionId}`).set(user.auth).expect(200);
      expect(api.body).toMatchObject({ message_count: 2, total_tokens: 150, last_message_preview: long.slice(0, 200) });
      expect(api.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    });

    it('answers 409 session_inactive for an inactive session, 404 for deleted, foreign and missing ones; stores nothing', async () => {
      const [user, other] = [await registerUser(t), await registerUser(t)];
      const ended = await newSession(user);
      await request(t.server).post(`${API}/sessions/${ended}/end`).set(user.auth).expect(200);
      expectProblem(await append(user, ended, { role: 'user', content: 'hi' }), 409, 'session_inactive');

      const deleted = await newSession(user);
      await request(t.server).delete(`${API}/sessions/${deleted}`).set(user.auth).expect(204);
      const mine = await newSession(user);
      for (const [who, id] of [
        [user, deleted],
        [other, mine],
        [user, randomUUID()],
      ] as const) {
        expectProblem(await append(who, id, { role: 'user', content: 'hi' }), 404, 'session_not_found');
        expectProblem(
          await request(t.server)
            .post(`${API}/sessions/${id}/messages/batch`)
            .set(who.auth)
            .send({ messages: [{ role: 'user', content: 'hi' }] }),
          404,
          'session_not_found',
        );
      }
      const { rows } = await db.query('SELECT count(*)::int AS n FROM chat_messages WHERE user_id IN ($1, $2)', [user.id, other.id]);
      expect(rows[0].n).toBe(0);
    });

    it.each([
      ['an unknown role', { role: 'wizard', content: 'x' }, 'role'],
      ['empty content', { role: 'user', content: '' }, 'content'],
      ['content over CHAT_MESSAGE_MAX_LENGTH', { role: 'user', content: 'x'.repeat(10_001) }, 'content'],
      ['non-text content', { role: 'user', content: { text: 'x' } }, 'content'],
      ['negative tokens', { role: 'assistant', content: 'x', usage: { prompt_tokens: -1, completion_tokens: 0 } }, 'usage.prompt_tokens'],
      [
        'fractional tokens',
        { role: 'assistant', content: 'x', usage: { prompt_tokens: 1.5, completion_tokens: 0 } },
        'usage.prompt_tokens',
      ],
      ['incomplete usage', { role: 'assistant', content: 'x', usage: { prompt_tokens: 1 } }, 'usage.completion_tokens'],
      [
        'an unknown field inside usage',
        { role: 'assistant', content: 'x', usage: { prompt_tokens: 1, completion_tokens: 1, cost: 2 } },
        'usage.cost',
      ],
      ['an unknown top-level field', { role: 'user', content: 'x', seq: 7 }, 'seq'],
      ['an unknown agent type', { role: 'user', content: 'x', agent_type: 'planner' }, 'agent_type'],
      ['array metadata', { role: 'user', content: 'x', metadata: [1] }, 'metadata'],
    ])('rejects %s with a field error and stores nothing', async (_name, body, field) => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      const problem = expectProblem(await append(user, sessionId, body), 400, 'validation_failed');
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await storedSeqs(sessionId)).toEqual([]);
      expect(await sessionRow(sessionId)).toMatchObject({ message_count: 0, last_seq: 0 });
    });

    it('refuses text PostgreSQL cannot store (NUL) with a 400, not a 500', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      expectProblem(await append(user, sessionId, { role: 'user', content: 'a\u0000b' }), 400, 'validation_failed');
      expectProblem(await append(user, sessionId, { role: 'user', content: 'ok', metadata: { k: '\u0000' } }), 400, 'validation_failed');
      expectProblem(await request(t.server).post(`${API}/sessions`).set(user.auth).send({ title: 'nul\u0000' }), 400, 'validation_failed');
      expect(await storedSeqs(sessionId)).toEqual([]);
    });
  });

  describe('batch', () => {
    it('stores 1..100 messages with consecutive seq numbers', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      await append(user, sessionId, { role: 'system', content: 'You are helpful.' }).expect(201);
      const messages = Array.from({ length: 100 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `message ${i}`,
        ...(i % 2 ? { usage: { prompt_tokens: 2, completion_tokens: 1 } } : {}),
      }));
      const res = await request(t.server).post(`${API}/sessions/${sessionId}/messages/batch`).set(user.auth).send({ messages }).expect(201);
      expect(res.body.data.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
      expect(res.body.data.map((m: { content: string }) => m.content)).toEqual(messages.map((m) => m.content));
      expect(await sessionRow(sessionId)).toMatchObject({
        message_count: 101,
        total_tokens: 150,
        last_seq: 101,
        last_message_preview: 'message 99',
      });
    });

    it('is all or nothing: one bad message stores none', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      const batch = (messages: object[]) =>
        request(t.server).post(`${API}/sessions/${sessionId}/messages/batch`).set(user.auth).send({ messages });
      const fine = { role: 'user', content: 'fine' };
      const tooLong = { role: 'user', content: 'x'.repeat(10_001) };

      const badRole = expectProblem(await batch([fine, tooLong, { role: 'bogus', content: 'fine' }]), 400, 'validation_failed');
      expect(badRole.errors?.map((e) => e.field)).toEqual(['messages[2].role']);
      expect(expectProblem(await batch([fine, tooLong]), 400, 'validation_failed').errors).toEqual([
        { field: 'messages[1].content', message: 'content must be at most 10000 characters' },
      ]);
      // Refused by PostgreSQL itself (SQLSTATE class 22), not by the validators: the one statement stores nothing.
      expectProblem(await batch([fine, { role: 'user', content: 'bad\u0000' }]), 400, 'validation_failed');
      expect(await storedSeqs(sessionId)).toEqual([]);
      expect(await sessionRow(sessionId)).toMatchObject({ message_count: 0, last_seq: 0, last_message_preview: null });
    });

    it.each([
      ['no messages', { messages: [] }],
      ['101 messages', { messages: Array.from({ length: 101 }, () => ({ role: 'user', content: 'x' })) }],
      ['a non-array', { messages: { role: 'user', content: 'x' } }],
    ])('rejects %s', async (_name, body) => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      expectProblem(
        await request(t.server).post(`${API}/sessions/${sessionId}/messages/batch`).set(user.auth).send(body),
        400,
        'validation_failed',
      );
      expect(await storedSeqs(sessionId)).toEqual([]);
    });
  });

  describe('history', () => {
    let user: TestUser;
    let sessionId: string;

    beforeAll(async () => {
      user = await registerUser(t);
      sessionId = await newSession(user);
      const messages = Array.from({ length: 23 }, (_, i) => ({ role: i % 3 === 0 ? 'user' : 'assistant', content: `m${i + 1}` }));
      await request(t.server).post(`${API}/sessions/${sessionId}/messages/batch`).set(user.auth).send({ messages }).expect(201);
    });

    const history = (query: object) => request(t.server).get(`${API}/sessions/${sessionId}/messages`).query(query).set(user.auth);
    const seqs = (res: request.Response) => res.body.data.map((m: { seq: number }) => m.seq);

    it('pages oldest first by default with the session count as total', async () => {
      const res = await history({ page_size: 10, page: 3 }).expect(200);
      expect(res.body).toMatchObject({ total: 23, page: 3, page_size: 10, has_more: false });
      expect(seqs(res)).toEqual([21, 22, 23]);
      expect((await history({}).expect(200)).body).toMatchObject({ page_size: 50, has_more: false });
    });

    it.each(['asc', 'desc'])('walks every message exactly once by cursor (%s)', async (order) => {
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const res = await history({ order, page_size: 5, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...seqs(res));
        if (!res.body.has_more) break;
        cursor = res.body.next_cursor;
      }
      const all = Array.from({ length: 23 }, (_, i) => i + 1);
      expect(seen).toEqual(order === 'asc' ? all : all.reverse());
    });

    it('filters by role, with the total for that role', async () => {
      const res = await history({ role: 'user' }).expect(200);
      expect(seqs(res)).toEqual([1, 4, 7, 10, 13, 16, 19, 22]);
      expect(res.body.total).toBe(8);
    });

    it('includes the latest message_limit messages in GET /sessions/{id}, oldest first', async () => {
      const res = await request(t.server).get(`${API}/sessions/${sessionId}`).query({ message_limit: 3 }).set(user.auth).expect(200);
      expect(res.body.messages.map((m: { seq: number }) => m.seq)).toEqual([21, 22, 23]);
    });

    it('rejects bad paging and foreign sessions', async () => {
      const other = await registerUser(t);
      expectProblem(await request(t.server).get(`${API}/sessions/${sessionId}/messages`).set(other.auth), 404, 'session_not_found');
      const first = await history({ page_size: 5 }).expect(200);
      const otherSession = await newSession(user);
      for (const res of [
        await history({ page_size: 201 }),
        await history({ role: 'wizard' }),
        await history({ order: 'newest' }),
        await history({ cursor: 'abc' }),
        await history({ cursor: first.body.next_cursor, order: 'desc' }),
        await request(t.server).get(`${API}/sessions/${otherSession}/messages`).query({ cursor: first.body.next_cursor }).set(user.auth),
      ]) {
        expectProblem(res, 400, 'validation_failed');
      }
    });
  });

  describe('single messages', () => {
    it('reads, edits and deletes a message; counters and preview stay true; seq is not reused', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      const ids: string[] = [];
      for (const [i, content] of ['one', 'two', 'three'].entries()) {
        const res = await append(user, sessionId, {
          role: 'assistant',
          content,
          usage: { prompt_tokens: 10 * (i + 1), completion_tokens: 1 },
        });
        ids.push(res.body.id);
      }
      expect((await request(t.server).get(`${API}/messages/${ids[1]}`).set(user.auth).expect(200)).body).toMatchObject({
        seq: 2,
        content: 'two',
      });

      const edited = await request(t.server)
        .patch(`${API}/messages/${ids[2]}`)
        .set(user.auth)
        .send({ content: 'THREE', metadata: { edited: true } });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ seq: 3, content: 'THREE', metadata: { edited: true } });
      expect((await sessionRow(sessionId)).last_message_preview).toBe('THREE');

      await request(t.server).delete(`${API}/messages/${ids[2]}`).set(user.auth).expect(204);
      expect(await sessionRow(sessionId)).toMatchObject({
        message_count: 2,
        total_tokens: 11 + 21,
        last_message_preview: 'two',
        last_seq: 3,
      });
      const next = await append(user, sessionId, { role: 'user', content: 'four' }).expect(201);
      expect(next.body.seq).toBe(4);
      expect(await storedSeqs(sessionId)).toEqual([1, 2, 4]);
      expectProblem(await request(t.server).get(`${API}/messages/${ids[2]}`).set(user.auth), 404, 'message_not_found');
    });

    it("answers another user's message like a missing one, and changes nothing", async () => {
      const [owner, other] = [await registerUser(t), await registerUser(t)];
      const sessionId = await newSession(owner);
      const { id } = (await append(owner, sessionId, { role: 'user', content: 'private' }).expect(201)).body;
      for (const target of [id, randomUUID()]) {
        expectProblem(await request(t.server).get(`${API}/messages/${target}`).set(other.auth), 404, 'message_not_found');
        expectProblem(
          await request(t.server).patch(`${API}/messages/${target}`).set(other.auth).send({ content: 'x' }),
          404,
          'message_not_found',
        );
        expectProblem(await request(t.server).delete(`${API}/messages/${target}`).set(other.auth), 404, 'message_not_found');
      }
      const { rows } = await db.query('SELECT content FROM chat_messages WHERE id = $1', [id]);
      expect(rows).toEqual([{ content: 'private' }]);
    });

    it('validates edits', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      const { id } = (await append(user, sessionId, { role: 'user', content: 'keep' }).expect(201)).body;
      for (const body of [{ content: '' }, { content: 'x'.repeat(10_001) }, { role: 'assistant' }, { metadata: 'x' }]) {
        expectProblem(await request(t.server).patch(`${API}/messages/${id}`).set(user.auth).send(body), 400, 'validation_failed');
      }
      expectProblem(await request(t.server).get(`${API}/messages/not-a-uuid`).set(user.auth), 400, 'validation_failed');
      expect((await db.query('SELECT content FROM chat_messages WHERE id = $1', [id])).rows[0].content).toBe('keep');
    });
  });

  describe('clear and stats', () => {
    it('clears the history: counters reset, seq goes on (never reused), the old rows are erased after', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      for (let i = 0; i < 3; i++)
        await append(user, sessionId, { role: 'user', content: `m${i}`, usage: { prompt_tokens: 1, completion_tokens: 1 } });
      await request(t.server).delete(`${API}/sessions/${sessionId}/messages`).set(user.auth).expect(204);
      expect(await sessionRow(sessionId)).toMatchObject({ message_count: 0, total_tokens: 0, last_seq: 3, last_message_preview: null });
      expect((await request(t.server).get(`${API}/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body).toMatchObject({
        data: [],
        total: 0,
      });
      expect((await append(user, sessionId, { role: 'user', content: 'again' }).expect(201)).body.seq).toBe(4);
      const other = await registerUser(t);
      expectProblem(await request(t.server).delete(`${API}/sessions/${sessionId}/messages`).set(other.auth), 404, 'session_not_found');
      await t.app.get(ErasureWorker).drainFor([user.id]);
      expect(await storedSeqs(sessionId)).toEqual([4]);
    });

    it('reports per-session statistics', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      const empty = await request(t.server).get(`${API}/sessions/${sessionId}/stats`).set(user.auth).expect(200);
      expect(empty.body).toEqual({
        message_count: 0,
        messages_by_role: {},
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        first_message_at: null,
        last_message_at: null,
        duration_seconds: 0,
      });
      await append(user, sessionId, { role: 'user', content: 'q1' });
      await append(user, sessionId, { role: 'assistant', content: 'a1', usage: { prompt_tokens: 100, completion_tokens: 20 } });
      await append(user, sessionId, { role: 'user', content: 'q2' });
      await append(user, sessionId, { role: 'assistant', content: 'a2', usage: { prompt_tokens: 150, completion_tokens: 30 } });
      await db.query(`UPDATE chat_messages SET created_at = created_at - interval '90 seconds' WHERE session_id = $1 AND seq = 1`, [
        sessionId,
      ]);
      // Stats read the counters on the session row: the first message's time is kept there too.
      await db.query(`UPDATE chat_sessions SET first_message_at = first_message_at - interval '90 seconds' WHERE id = $1`, [sessionId]);
      const stats = await request(t.server).get(`${API}/sessions/${sessionId}/stats`).set(user.auth).expect(200);
      expect(stats.body).toMatchObject({
        message_count: 4,
        messages_by_role: { user: 2, assistant: 2 },
        prompt_tokens: 250,
        completion_tokens: 50,
        total_tokens: 300,
      });
      expect(stats.body.duration_seconds).toBeGreaterThanOrEqual(90);
      expect(Date.parse(stats.body.last_message_at) - Date.parse(stats.body.first_message_at)).toBe(stats.body.duration_seconds * 1000);
    });
  });

  describe('search', () => {
    let alice: TestUser;
    let bob: TestUser;
    let aliceSession: string;

    beforeAll(async () => {
      [alice, bob] = [await registerUser(t), await registerUser(t)];
      aliceSession = await newSession(alice, { title: 'Import incident', agent_type: 'log_analysis' });
      const other = await newSession(alice, { title: 'Other' });
      await request(t.server)
        .post(`${API}/sessions/${aliceSession}/messages/batch`)
        .set(alice.auth)
        .send({
          messages: [
            { role: 'user', content: 'The nightly import failed again with a timeout.' },
            { role: 'assistant', content: 'Import failures on Sundays come from the backup window; imports and backups compete.' },
            { role: 'user', content: 'What about <b>bold</b> claims in the import log?' },
          ],
        })
        .expect(201);
      await append(alice, other, { role: 'user', content: 'Unrelated question about lunch.' }).expect(201);
      const bobSession = await newSession(bob);
      await append(bob, bobSession, { role: 'user', content: 'My import failed too, secret bob data.' }).expect(201);
    });

    const search = (user: TestUser, query: object) => request(t.server).get(`${API}/messages/search`).query(query).set(user.auth);

    it("finds only the caller's messages, best first, with session title and snippet", async () => {
      // "Import … imports" matches twice, so seq 2 ranks above the single mentions in 1 and 3.
      const res = await search(alice, { q: 'import' }).expect(200);
      expect(res.body).toMatchObject({ total: 3, total_is_estimate: false, order: 'rank' });
      expect(res.body.data[0].seq).toBe(2);
      expect(new Set(res.body.data.slice(1).map((h: { seq: number }) => h.seq))).toEqual(new Set([1, 3]));
      expect(res.body.data[0].rank).toBeGreaterThan(res.body.data[1].rank);
      expect(res.body.data[0]).toEqual({
        id: expect.any(String),
        session_id: aliceSession,
        session_title: 'Import incident',
        seq: 2,
        role: 'assistant',
        agent_type: 'log_analysis',
        snippet: expect.stringContaining('<mark>Import</mark>'),
        rank: expect.any(Number),
        created_at: expect.any(String),
      });
      const bobs = await search(bob, { q: 'import' }).expect(200);
      expect(bobs.body.data.map((h: { snippet: string }) => h.snippet)).toEqual([expect.stringContaining('secret bob')]);
      expect(JSON.stringify(res.body)).not.toContain('bob');
    });

    it('HTML-escapes snippets so <mark> is the only markup', async () => {
      const res = await search(alice, { q: 'bold claims' }).expect(200);
      expect(res.body.data[0].snippet).toContain('&lt;b&gt;');
      expect(res.body.data[0].snippet).toContain('<mark>claims</mark>');
      expect(res.body.data[0].snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    });

    it('filters by session, agent type and role', async () => {
      expect((await search(alice, { q: 'import', role: 'assistant' }).expect(200)).body.total).toBe(1);
      expect((await search(alice, { q: 'import', role: 'user' }).expect(200)).body.total).toBe(2);
      expect((await search(alice, { q: 'import', agent_type: 'primary' }).expect(200)).body.total).toBe(0);
      expect((await search(alice, { q: 'import OR lunch', session_id: aliceSession }).expect(200)).body.total).toBe(3);
      expect((await search(alice, { q: 'import OR lunch' }).expect(200)).body.total).toBe(4);
    });

    it('pages by cursor without repeats', async () => {
      const first = await search(alice, { q: 'import OR lunch', page_size: 3 }).expect(200);
      expect(first.body).toMatchObject({ total: 4, has_more: true });
      const second = await search(alice, { q: 'import OR lunch', page_size: 3, cursor: first.body.next_cursor }).expect(200);
      const ids = [...first.body.data, ...second.body.data].map((h: { id: string }) => h.id);
      expect(second.body.has_more).toBe(false);
      expect(new Set(ids).size).toBe(4);
      expectProblem(await search(alice, { q: 'other words', cursor: first.body.next_cursor }), 400, 'validation_failed');
    });

    it('leaves out messages of deleted sessions', async () => {
      const user = await registerUser(t);
      const sessionId = await newSession(user);
      await append(user, sessionId, { role: 'user', content: 'zebra crossing' }).expect(201);
      expect((await search(user, { q: 'zebra' }).expect(200)).body.total).toBe(1);
      await request(t.server).delete(`${API}/sessions/${sessionId}`).set(user.auth).expect(204);
      expect((await search(user, { q: 'zebra' }).expect(200)).body.total).toBe(0);
    });

    it('validates the query', async () => {
      for (const query of [{}, { q: '' }, { q: 'x'.repeat(501) }, { q: 'a', session_id: 'nope' }, { q: 'a', page_size: 101 }]) {
        expectProblem(await search(alice, query), 400, 'validation_failed');
      }
      expect((await search(alice, { q: '"unbalanced -- OR ((' }).expect(200)).body.total).toBeGreaterThanOrEqual(0);
    });
  });

  it('needs a token on every route', async () => {
    const id = randomUUID();
    for (const res of [
      await request(t.server).post(`${API}/sessions/${id}/messages`).send({ role: 'user', content: 'x' }),
      await request(t.server).post(`${API}/sessions/${id}/messages/batch`).send({ messages: [] }),
      await request(t.server).get(`${API}/sessions/${id}/messages`),
      await request(t.server).delete(`${API}/sessions/${id}/messages`),
      await request(t.server).get(`${API}/sessions/${id}/stats`),
      await request(t.server).get(`${API}/messages/search`).query({ q: 'x' }),
      await request(t.server).get(`${API}/messages/${id}`),
      await request(t.server).patch(`${API}/messages/${id}`).send({}),
      await request(t.server).delete(`${API}/messages/${id}`),
    ]) {
      expectProblem(res, 401, 'unauthorized');
    }
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';

describe('sessions', () => {
  let t: TestApp;
  const db = testPool();

  beforeAll(async () => {
    t = await createTestApp({ SESSION_LIMITS: 'research:2' });
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const create = (user: TestUser, body: object = {}) => request(t.server).post(`${API}/sessions`).set(user.auth).send(body);
  const sessionIds = async (user: TestUser, where = 'true') =>
    (await db.query(`SELECT id FROM chat_sessions WHERE user_id = $1 AND ${where} ORDER BY created_at, id`, [user.id])).rows.map(
      (r: { id: string }) => r.id,
    );
  /** Sets last_message_at by hand, to stage which session is least recently used. */
  const touch = (id: string, minutesAgo: number) =>
    db.query(`UPDATE chat_sessions SET last_message_at = now() - make_interval(mins => $2) WHERE id = $1`, [id, minutesAgo]);

  describe('create', () => {
    it('creates an active primary session by default and stores it', async () => {
      const user = await registerUser(t);
      const res = await create(user, { title: 'First', project_id: 'p1', metadata: { source: 'web', nested: { a: 1 } } }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        user_id: user.id,
        title: 'First',
        agent_type: 'primary',
        project_id: 'p1',
        is_active: true,
        deactivated_reason: null,
        metadata: { source: 'web', nested: { a: 1 } },
        message_count: 0,
        total_tokens: 0,
        last_message_preview: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
        last_message_at: res.body.created_at,
        evicted_session_ids: [],
      });
      const { rows } = await db.query('SELECT title, agent_type, is_active, metadata FROM chat_sessions WHERE id = $1', [res.body.id]);
      expect(rows[0]).toEqual({ title: 'First', agent_type: 'primary', is_active: true, metadata: { source: 'web', nested: { a: 1 } } });
    });

    it('accepts an empty body', async () => {
      const user = await registerUser(t);
      const res = await request(t.server).post(`${API}/sessions`).set(user.auth).expect(201);
      expect(res.body).toMatchObject({ title: null, agent_type: 'primary', metadata: {} });
    });

    it.each([
      ['an unknown agent type', { agent_type: 'planner' }, 'agent_type'],
      ['a malformed agent type', { agent_type: 'Primary!' }, 'agent_type'],
      ['a title over CHAT_TITLE_MAX_LENGTH', { title: 'x'.repeat(256) }, 'title'],
      ['an empty title', { title: '' }, 'title'],
      ['a numeric title', { title: 42 }, 'title'],
      ['array metadata', { metadata: ['not', 'an', 'object'] }, 'metadata'],
      ['string metadata', { metadata: 'text' }, 'metadata'],
      ['metadata over 16 KiB', { metadata: { blob: 'x'.repeat(16 * 1024) } }, 'metadata'],
      ['a project_id over 100 characters', { project_id: 'p'.repeat(101) }, 'project_id'],
      ['is_active (not settable on create)', { is_active: false }, 'is_active'],
      ['a user_id', { user_id: randomUUID() }, 'user_id'],
    ])('rejects %s with a field error and stores nothing', async (_name, body, field) => {
      const user = await registerUser(t);
      const problem = expectProblem(await create(user, body), 400, 'validation_failed');
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await sessionIds(user)).toEqual([]);
    });
  });

  describe('the active-session limit', () => {
    it('evicts the session with the oldest last_message_at, and reports it once', async () => {
      const user = await registerUser(t);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await create(user, { title: `s${i}` }).expect(201)).body.id);
      // Least recently used first: session 2, then 0, 1, 3, 4.
      await Promise.all(made.map((id, i) => touch(id, i === 2 ? 500 : 100 - i * 10)));

      const sixth = await create(user, { title: 's5' }).expect(201);
      expect(sixth.body.evicted_session_ids).toEqual([made[2]]);
      const { rows } = await db.query('SELECT is_active, deactivated_reason FROM chat_sessions WHERE id = $1', [made[2]]);
      expect(rows[0]).toEqual({ is_active: false, deactivated_reason: 'session_limit' });
      expect(await sessionIds(user, 'is_active')).toHaveLength(5);

      const seventh = await create(user, { title: 's6' }).expect(201);
      expect(seventh.body.evicted_session_ids).toEqual([made[0]]);
    });

    it('counts each agent type separately and honours per-type limits', async () => {
      const user = await registerUser(t);
      for (let i = 0; i < 5; i++) await create(user, { agent_type: 'primary' }).expect(201);
      const research = [(await create(user, { agent_type: 'research' })).body, (await create(user, { agent_type: 'research' })).body];
      expect(research.map((s) => s.evicted_session_ids)).toEqual([[], []]);
      await touch(research[0].id, 60);
      const third = await create(user, { agent_type: 'research' }).expect(201);
      expect(third.body.evicted_session_ids).toEqual([research[0].id]);
      expect(await sessionIds(user, `is_active AND agent_type = 'primary'`)).toHaveLength(5);
    });

    it('reactivation through PATCH makes room the same way', async () => {
      const user = await registerUser(t);
      const made: string[] = [];
      for (let i = 0; i < 6; i++) made.push((await create(user).expect(201)).body.id);
      const [evicted] = await sessionIds(user, 'NOT is_active');
      await Promise.all(made.map((id, i) => touch(id, 100 - i)));

      const res = await request(t.server).patch(`${API}/sessions/${evicted}`).set(user.auth).send({ is_active: true }).expect(200);
      expect(res.body).toMatchObject({ id: evicted, is_active: true, deactivated_reason: null });
      expect(res.body.evicted_session_ids).toHaveLength(1);
      expect(res.body.evicted_session_ids[0]).not.toBe(evicted);
      expect(await sessionIds(user, 'is_active')).toHaveLength(5);

      // Activating an active session changes nothing and evicts nothing.
      const again = await request(t.server).put(`${API}/sessions/${evicted}`).set(user.auth).send({ is_active: true }).expect(200);
      expect(again.body.evicted_session_ids).toEqual([]);
    });

    it('soft-deleted sessions stop counting; restoring one makes room again', async () => {
      const user = await registerUser(t);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await create(user).expect(201)).body.id);
      await request(t.server).delete(`${API}/sessions/${made[0]}`).set(user.auth).expect(204);
      expect((await create(user).expect(201)).body.evicted_session_ids).toEqual([]);

      await touch(made[1], 999);
      const restored = await request(t.server).post(`${API}/sessions/${made[0]}/restore`).set(user.auth).expect(200);
      expect(restored.body).toMatchObject({ id: made[0], is_active: true, deactivated_reason: null });
      expect(restored.body.evicted_session_ids).toEqual([made[1]]);
      expect(await sessionIds(user, 'is_active AND deleted_at IS NULL')).toHaveLength(5);
    });
  });

  describe('state changes', () => {
    it('PATCH updates fields, and is_active false deactivates with reason "user"', async () => {
      const user = await registerUser(t);
      const { id } = (await create(user, { title: 'Old', project_id: 'p', metadata: { a: 1 } }).expect(201)).body;
      const res = await request(t.server)
        .patch(`${API}/sessions/${id}`)
        .set(user.auth)
        .send({ title: 'New', metadata: { b: 2 }, project_id: null, is_active: false })
        .expect(200);
      expect(res.body).toMatchObject({ title: 'New', metadata: { b: 2 }, project_id: null, is_active: false, deactivated_reason: 'user' });
      const { rows } = await db.query(
        'SELECT title, metadata, project_id, is_active, deactivated_reason FROM chat_sessions WHERE id = $1',
        [id],
      );
      expect(rows[0]).toEqual({ title: 'New', metadata: { b: 2 }, project_id: null, is_active: false, deactivated_reason: 'user' });
    });

    it('end deactivates with reason "ended"', async () => {
      const user = await registerUser(t);
      const { id } = (await create(user).expect(201)).body;
      const res = await request(t.server).post(`${API}/sessions/${id}/end`).set(user.auth).expect(200);
      expect(res.body).toMatchObject({ is_active: false, deactivated_reason: 'ended' });
    });

    it('soft delete hides the session; permanent delete hides it for good, then the worker removes it', async () => {
      const user = await registerUser(t);
      const [soft, hard] = [(await create(user).expect(201)).body.id, (await create(user).expect(201)).body.id];
      await request(t.server).delete(`${API}/sessions/${soft}`).set(user.auth).expect(204);
      expectProblem(await request(t.server).get(`${API}/sessions/${soft}`).set(user.auth), 404, 'session_not_found');
      expectProblem(await request(t.server).delete(`${API}/sessions/${soft}`).set(user.auth), 404, 'session_not_found');
      const list = await request(t.server).get(`${API}/sessions`).set(user.auth).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([hard]);
      const { rows } = await db.query('SELECT deleted_at IS NOT NULL AS deleted, is_active FROM chat_sessions WHERE id = $1', [soft]);
      expect(rows[0]).toEqual({ deleted: true, is_active: false });

      await request(t.server).delete(`${API}/sessions/${hard}`).query({ permanent: true }).set(user.auth).expect(204);
      expectProblem(await request(t.server).get(`${API}/sessions/${hard}`).set(user.auth), 404, 'session_not_found');
      expectProblem(await request(t.server).post(`${API}/sessions/${hard}/restore`).set(user.auth), 404, 'session_not_found');
      await t.app.get(ErasureWorker).drainFor([user.id]);
      expect((await db.query('SELECT 1 FROM chat_sessions WHERE id = $1', [hard])).rowCount).toBe(0);
      // A soft-deleted session can still be purged for good.
      await request(t.server).delete(`${API}/sessions/${soft}`).query({ permanent: 'true' }).set(user.auth).expect(204);
      expectProblem(await request(t.server).post(`${API}/sessions/${soft}/restore`).set(user.auth), 404, 'session_not_found');
      await t.app.get(ErasureWorker).drainFor([user.id]);
      expect((await db.query('SELECT 1 FROM chat_sessions WHERE id = $1', [soft])).rowCount).toBe(0);
    });

    it('GET includes the messages by default (none yet) and leaves them out on request', async () => {
      const user = await registerUser(t);
      const { id } = (await create(user).expect(201)).body;
      expect((await request(t.server).get(`${API}/sessions/${id}`).set(user.auth).expect(200)).body.messages).toEqual([]);
      const bare = await request(t.server).get(`${API}/sessions/${id}`).query({ include_messages: false }).set(user.auth).expect(200);
      expect(bare.body).not.toHaveProperty('messages');
      for (const query of [{ message_limit: 0 }, { message_limit: 201 }, { include_messages: 'maybe' }]) {
        expectProblem(await request(t.server).get(`${API}/sessions/${id}`).query(query).set(user.auth), 400, 'validation_failed');
      }
    });
  });

  describe('ownership and auth', () => {
    it("answers another user's session exactly like a missing one, and changes nothing", async () => {
      const [owner, other] = [await registerUser(t), await registerUser(t)];
      const { id } = (await create(owner, { title: 'Mine' }).expect(201)).body;
      const missing = randomUUID();
      for (const target of [id, missing]) {
        const responses = [
          await request(t.server).get(`${API}/sessions/${target}`).set(other.auth),
          await request(t.server).patch(`${API}/sessions/${target}`).set(other.auth).send({ title: 'Stolen' }),
          await request(t.server).put(`${API}/sessions/${target}`).set(other.auth).send({ is_active: true }),
          await request(t.server).post(`${API}/sessions/${target}/end`).set(other.auth),
          await request(t.server).post(`${API}/sessions/${target}/restore`).set(other.auth),
          await request(t.server).delete(`${API}/sessions/${target}`).set(other.auth),
          await request(t.server).delete(`${API}/sessions/${target}`).query({ permanent: true }).set(other.auth),
        ];
        for (const res of responses) {
          const body = expectProblem(res, 404, 'session_not_found');
          expect(body.detail).toBe('No session with this id.');
        }
      }
      const { rows } = await db.query('SELECT title, is_active, deleted_at FROM chat_sessions WHERE id = $1', [id]);
      expect(rows[0]).toEqual({ title: 'Mine', is_active: true, deleted_at: null });
      const list = await request(t.server).get(`${API}/sessions`).set(other.auth).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('needs a token on every route', async () => {
      const id = randomUUID();
      for (const res of [
        await request(t.server).post(`${API}/sessions`).send({}),
        await request(t.server).get(`${API}/sessions`),
        await request(t.server).get(`${API}/sessions/${id}`),
        await request(t.server).patch(`${API}/sessions/${id}`).send({}),
        await request(t.server).put(`${API}/sessions/${id}`).send({}),
        await request(t.server).post(`${API}/sessions/${id}/end`),
        await request(t.server).post(`${API}/sessions/${id}/restore`),
        await request(t.server).delete(`${API}/sessions/${id}`),
      ]) {
        expectProblem(res, 401, 'unauthorized');
      }
    });

    it('rejects malformed ids with 400', async () => {
      const user = await registerUser(t);
      const res = await request(t.server).get(`${API}/sessions/not-a-uuid`).set(user.auth);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });
  });

  describe('listing', () => {
    let user: TestUser;
    const made: { id: string; title: string; agent_type: string }[] = [];

    beforeAll(async () => {
      user = await registerUser(t);
      const specs = [
        ['Deploy notes', 'primary', 'alpha'],
        ['deploy checklist', 'primary', 'beta'],
        ['Log triage', 'log_analysis', 'alpha'],
        ['100% coverage', 'research', null],
        ['Router rules', 'router', null],
        ['Misc', 'primary', null],
      ] as const;
      for (const [title, agent_type, project_id] of specs) {
        made.push((await create(user, { title, agent_type, project_id }).expect(201)).body);
      }
      await request(t.server).post(`${API}/sessions/${made[5].id}/end`).set(user.auth).expect(200);
      await Promise.all(made.map((s, i) => touch(s.id, 10 * (i + 1))));
    });

    const list = (query: object) => request(t.server).get(`${API}/sessions`).query(query).set(user.auth);
    const titles = (res: request.Response) => res.body.data.map((s: { title: string }) => s.title);

    it('orders by last_message_at, newest first, by default', async () => {
      const res = await list({}).expect(200);
      expect(res.body).toMatchObject({ total: 6, page: 1, page_size: 10, has_more: false, next_cursor: null });
      expect(titles(res)).toEqual(made.map((s) => s.title));
    });

    it.each([
      [{ agent_type: 'primary' }, ['Deploy notes', 'deploy checklist', 'Misc']],
      [{ is_active: false }, ['Misc']],
      [{ is_active: 'true', agent_type: 'primary' }, ['Deploy notes', 'deploy checklist']],
      [{ project_id: 'alpha' }, ['Deploy notes', 'Log triage']],
      [{ search: 'DEPLOY' }, ['Deploy notes', 'deploy checklist']],
      [{ search: '%' }, ['100% coverage']],
      [{ search: '_' }, []],
      [
        { order_by: 'created_at', order: 'asc' },
        ['Deploy notes', 'deploy checklist', 'Log triage', '100% coverage', 'Router rules', 'Misc'],
      ],
      [{ order: 'asc' }, ['Misc', 'Router rules', '100% coverage', 'Log triage', 'deploy checklist', 'Deploy notes']],
    ])('filters and sorts: %j', async (query, expected) => {
      const res = await list(query).expect(200);
      expect(titles(res)).toEqual(expected);
      expect(res.body.total).toBe(expected.length);
    });

    it('pages by number with a total', async () => {
      const second = await list({ page: 2, page_size: 4 }).expect(200);
      expect(second.body).toMatchObject({ total: 6, page: 2, page_size: 4, has_more: false });
      expect(titles(second)).toEqual(made.slice(4).map((s) => s.title));
    });

    it.each(['last_message_at', 'created_at', 'updated_at'])(
      'walks every session exactly once by cursor, ordered by %s',
      async (order_by) => {
        for (const order of ['asc', 'desc']) {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 10; pages++) {
            const res = await list({ order_by, order, page_size: 4, ...(cursor ? { cursor } : {}) }).expect(200);
            seen.push(...res.body.data.map((s: { id: string }) => s.id));
            expect(res.body.total).toBe(6);
            if (!res.body.has_more) break;
            expect(res.body.page).toBe(pages === 0 ? 1 : null);
            cursor = res.body.next_cursor;
          }
          expect(seen).toHaveLength(6);
          expect(new Set(seen)).toEqual(new Set(made.map((s) => s.id)));
        }
      },
    );

    it('rejects bad paging with 400', async () => {
      const first = await list({ page_size: 2 }).expect(200);
      for (const query of [
        { page_size: 101 },
        { page_size: 0 },
        { page: 'two' },
        { cursor: 'garbage' },
        { cursor: first.body.next_cursor, order: 'asc' },
        { cursor: first.body.next_cursor, agent_type: 'primary' },
        { cursor: `${first.body.next_cursor}x` },
        { page: 2, cursor: first.body.next_cursor },
        { order_by: 'title' },
        { order: 'sideways' },
        { agent_type: 'planner' },
      ]) {
        expectProblem(await list(query), 400, 'validation_failed');
      }
    });
  });
});

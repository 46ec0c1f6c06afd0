import request from 'supertest';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';

/** Tiny batches, so a few sessions take several windows and batches to erase. */
const TINY = { ERASURE_BATCH_SIZE: '2' };

describe('DELETE /sessions?confirm=true (delete everything, keep the account)', () => {
  const db = testPool();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(TINY);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const api = (user: TestUser) => ({
    get: (path: string, query: Record<string, unknown> = {}) => request(t.server).get(`${API}${path}`).query(query).set(user.auth),
    post: (path: string, body: object = {}) => request(t.server).post(`${API}${path}`).set(user.auth).send(body),
    del: (path: string, query: Record<string, unknown> = {}) => request(t.server).delete(`${API}${path}`).query(query).set(user.auth),
  });

  /** Three sessions of three messages (with usage), one of them then soft-deleted. */
  async function userWithData(): Promise<{ user: TestUser; sessions: string[] }> {
    const user = await registerUser(t);
    const sessions: string[] = [];
    for (let s = 0; s < 3; s++) {
      const { id } = (
        await api(user)
          .post('/sessions', { title: `s${s}` })
          .expect(201)
      ).body;
      sessions.push(id);
      for (let m = 0; m < 3; m++) {
        await api(user)
          .post(`/sessions/${id}/messages`, {
            role: 'assistant',
            content: `needle ${s}-${m}`,
            usage: { prompt_tokens: 2, completion_tokens: 3 },
          })
          .expect(201);
      }
    }
    await api(user).del(`/sessions/${sessions[2]}`).expect(204);
    return { user, sessions };
  }

  const rowCount = async (table: string, userId: string) =>
    Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [userId])).rows[0].n);

  /** Everything a user's sessions and messages could be read through shows nothing; usage and the account stay. */
  async function expectNothingReadable(user: TestUser, sessions: string[]) {
    expect((await api(user).get('/sessions').expect(200)).body).toMatchObject({ data: [], total: 0 });
    expect((await api(user).get('/sessions', { metadata: '{"k":1}' }).expect(200)).body).toMatchObject({ data: [], total: 0 });
    for (const id of sessions) {
      for (const path of [`/sessions/${id}`, `/sessions/${id}/messages`, `/sessions/${id}/stats`]) {
        expectProblem(await api(user).get(path), 404, 'session_not_found');
      }
      expectProblem(await api(user).post(`/sessions/${id}/messages`, { role: 'user', content: 'late' }), 404, 'session_not_found');
    }
    expect((await api(user).get('/messages/search', { q: 'needle' }).expect(200)).body).toMatchObject({ data: [], total: 0 });
    expect((await api(user).get('/usage/stats').expect(200)).body).toMatchObject({
      total_sessions: 0,
      active_sessions: 0,
      total_messages: 0,
    });
    expect((await api(user).get('/usage').expect(200)).body.total).toEqual({
      prompt_tokens: 18,
      completion_tokens: 27,
      total_tokens: 45,
      messages: 9,
    });
    await api(user).get('/users/me').expect(200);
  }

  it('answers 401 without a token and 400 confirmation_required without confirm=true, deleting nothing', async () => {
    expectProblem(await request(t.server).delete(`${API}/sessions`).query({ confirm: true }), 401, 'unauthorized');
    const { user } = await userWithData();
    for (const query of [{}, { confirm: false }, { permanent: true }, { confirm: false, permanent: true }]) {
      const problem = expectProblem(await api(user).del('/sessions', query), 400, 'confirmation_required');
      expect(problem.detail).toMatch(/confirm=true/);
    }
    const odd = expectProblem(await api(user).del('/sessions', { confirm: 'yes' }), 400, 'validation_failed');
    expect(odd.errors).toEqual([expect.objectContaining({ field: 'confirm' })]);
    expectProblem(await api(user).del('/sessions', { confirm: true, permanent: 'maybe' }), 400, 'validation_failed');
    expect((await api(user).get('/sessions').expect(200)).body.total).toBe(2);
    expect(await rowCount('erasures', user.id)).toBe(0);
  });

  it('soft: hides every session from every read at once, keeps usage and the account; each one restores', async () => {
    const { user, sessions } = await userWithData();
    const other = await userWithData();
    const res = await api(user).del('/sessions', { confirm: true }).expect(200);
    // The soft-deleted third session was already deleted: two sessions, six messages.
    expect(res.body).toEqual({ deleted_sessions: 2, deleted_messages: 6, permanent: false });
    await expectNothingReadable(user, sessions);

    const rows = await db.query(
      'SELECT is_active, deactivated_reason, deleted_at IS NOT NULL AS deleted FROM chat_sessions WHERE user_id = $1',
      [user.id],
    );
    expect(rows.rows).toEqual(Array(3).fill({ is_active: false, deactivated_reason: 'user', deleted: true }));
    expect(await rowCount('chat_messages', user.id)).toBe(9);
    expect(await rowCount('erasures', user.id)).toBe(0);

    const restored = await api(user).post(`/sessions/${sessions[0]}/restore`).expect(200);
    expect(restored.body).toMatchObject({ id: sessions[0], is_active: true, message_count: 3 });
    expect((await api(user).get('/sessions').expect(200)).body).toMatchObject({ total: 1, data: [{ id: sessions[0] }] });
    expect((await api(user).get(`/sessions/${sessions[0]}/messages`).expect(200)).body.total).toBe(3);
    // Only the caller's sessions: the other user sees all of theirs.
    expect((await api(other.user).get('/sessions').expect(200)).body.total).toBe(2);
    // Nothing left to delete is not an error.
    await api(user).del('/sessions', { confirm: true }).expect(200);
    expect((await api(user).del('/sessions', { confirm: true }).expect(200)).body).toEqual({
      deleted_sessions: 0,
      deleted_messages: 0,
      permanent: false,
    });
  });

  it('permanent: every session (soft-deleted ones too) is gone at once and erased in batches; usage and the account stay', async () => {
    const { user, sessions } = await userWithData();
    const other = await userWithData();
    // Pending work the erasure of everything covers: a cleared history.
    await api(user).del(`/sessions/${sessions[1]}/messages`).expect(204);
    const res = await api(user).del('/sessions', { confirm: true, permanent: true }).expect(200);
    // Counters of the cleared history are zero: 3 + 0 + 3 messages.
    expect(res.body).toEqual({ deleted_sessions: 3, deleted_messages: 6, permanent: true });
    await expectNothingReadable(user, sessions);
    for (const id of sessions) expectProblem(await api(user).post(`/sessions/${id}/restore`), 404, 'session_not_found');
    // One erasure replaces the history's.
    expect((await db.query('SELECT kind FROM erasures WHERE user_id = $1', [user.id])).rows).toEqual([{ kind: 'sessions' }]);

    // A session made afterwards, and another one deleted for good with an erasure of its own, are not its work.
    const kept = (await api(user).post('/sessions', { title: 'after' }).expect(201)).body.id;
    await api(user).post(`/sessions/${kept}/messages`, { role: 'user', content: 'still here' }).expect(201);
    const single = (await api(user).post('/sessions', { title: 'single' }).expect(201)).body.id;
    await api(user).post(`/sessions/${single}/messages`, { role: 'user', content: 'gone on its own' }).expect(201);
    await api(user).del(`/sessions/${single}`, { permanent: true }).expect(204);

    const done = await t.app.get(ErasureWorker).drainFor([user.id]);
    expect(done.failures).toBe(0);
    // 9 messages 2 at a time in windows of 2 sessions, then those rows; the single session's message and row.
    expect(done.rows).toBe(9 + 3 + 1);
    expect((await db.query('SELECT id FROM chat_sessions WHERE user_id = $1', [user.id])).rows).toEqual([{ id: kept }]);
    expect(await rowCount('chat_messages', user.id)).toBe(1);
    expect(await rowCount('erasures', user.id)).toBe(0);
    expect(await rowCount('usage_daily', user.id)).toBeGreaterThan(0);
    expect((await api(user).get('/usage').expect(200)).body.total.messages).toBe(9 + 2);
    expect((await api(user).get('/sessions').expect(200)).body).toMatchObject({ total: 1, data: [{ id: kept }] });
    expect(await rowCount('chat_messages', other.user.id)).toBe(9);
    expect((await api(other.user).get('/sessions').expect(200)).body.total).toBe(2);
  });
});

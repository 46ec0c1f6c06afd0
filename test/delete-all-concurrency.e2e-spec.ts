import { ErasureWorker } from '../src/erasure/erasure.worker.js';
import { API, registerUser } from './support/factories.js';
import { call } from './support/http.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';

const EXISTING = 6;
const CREATES = 8;
const APPENDS = 24;

/**
 * DELETE /sessions?confirm=true racing the same user's creations and appends, over two app instances: every
 * session and message ends either wholly deleted or wholly kept, the counters agree with the rows, the
 * session limit holds, usage counts every stored message, and no request fails for another reason.
 */
describe.each([['soft'], ['permanent']])('delete everything while sessions are created and messages appended (%s)', (mode) => {
  let instances: (TestApp & { url: string })[];
  const db = testPool();

  beforeAll(async () => {
    instances = [await startTestApp({ ERASURE_BATCH_SIZE: '3' }), await startTestApp({ ERASURE_BATCH_SIZE: '3' })];
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await db.end();
  });

  const on = (i: number) => instances[i % 2].url;

  it.each([[0], [5], [10]])('leaves every session and message wholly deleted or wholly kept (delete after %i ms)', async (delayMs) => {
    const user = await registerUser(instances[0]);
    const existing: string[] = [];
    for (let i = 0; i < EXISTING; i++) {
      const created = await call(on(i), 'POST', `${API}/sessions`, user.accessToken, {
        title: `old ${i}`,
        agent_type: i % 2 ? 'research' : 'primary',
      });
      existing.push(created.body.id);
      await call(on(i), 'POST', `${API}/sessions/${created.body.id}/messages`, user.accessToken, { role: 'user', content: `seed ${i}` });
    }

    const query = mode === 'permanent' ? '?confirm=true&permanent=true' : '?confirm=true';
    const creates = Array.from({ length: CREATES }, async (_, i) => {
      const created = await call(on(i), 'POST', `${API}/sessions`, user.accessToken, { title: `new ${i}` });
      const appended = await call(on(i + 1), 'POST', `${API}/sessions/${created.body.id}/messages`, user.accessToken, {
        role: 'user',
        content: `to new ${i}`,
      });
      return { created, appended };
    });
    const appends = Array.from({ length: APPENDS }, (_, i) =>
      call(on(i), 'POST', `${API}/sessions/${existing[i % EXISTING]}/messages`, user.accessToken, {
        role: 'assistant',
        content: `racing ${i}`,
      }),
    );
    const deleting = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() =>
      call(on(1), 'DELETE', `${API}/sessions${query}`, user.accessToken),
    );
    const [deleted, made, appended] = await Promise.all([deleting, Promise.all(creates), Promise.all(appends)]);

    expect(deleted.status).toBe(200);
    expect(made.map((m) => m.created.status)).toEqual(Array(CREATES).fill(201));
    // An append either landed, or found its session already deleted (404, or 409 when it waited for the delete's lock).
    for (const res of [...appended, ...made.map((m) => m.appended)]) expect([201, 404, 409]).toContain(res.status);

    if (mode === 'permanent') await instances[0].app.get(ErasureWorker).drainFor([user.id]);
    const rows = await db.query(
      `SELECT s.id, s.deleted_at IS NOT NULL AS deleted, s.is_active, s.message_count, s.last_seq,
              (SELECT count(*)::int FROM chat_messages m WHERE m.user_id = s.user_id AND m.session_id = s.id) AS stored
         FROM chat_sessions s WHERE s.user_id = $1`,
      [user.id],
    );
    const byId = new Map(rows.rows.map((r) => [r.id as string, r]));
    // The delete took every session that existed before it: the old ones and the new ones created first.
    const newDeleted = made.filter((m) => (mode === 'soft' ? byId.get(m.created.body.id)?.deleted : !byId.has(m.created.body.id))).length;
    expect(deleted.body).toMatchObject({ deleted_sessions: EXISTING + newDeleted, permanent: mode === 'permanent' });
    for (const id of existing) {
      if (mode === 'permanent') expect(byId.has(id)).toBe(false);
      else expect(byId.get(id)).toMatchObject({ deleted: true, is_active: false });
    }
    // Every session still visible is one created after the delete, with its counters true to its rows.
    const visible = rows.rows.filter((r) => !r.deleted);
    expect(visible.every((r) => !existing.includes(r.id))).toBe(true);
    for (const row of rows.rows) expect(row).toMatchObject({ message_count: row.stored, last_seq: row.stored });
    expect(visible.filter((r) => r.is_active).length).toBeLessThanOrEqual(5);
    const listed = await call(on(0), 'GET', `${API}/sessions?page_size=100`, user.accessToken);
    expect(new Set(listed.body.data.map((s: { id: string }) => s.id))).toEqual(new Set(visible.map((r) => r.id)));
    if (mode === 'permanent') {
      const orphans = await db.query(
        `SELECT count(*)::int AS n FROM chat_messages m WHERE m.user_id = $1 AND NOT EXISTS
        (SELECT 1 FROM chat_sessions s WHERE s.user_id = m.user_id AND s.id = m.session_id AND s.erased_at IS NULL)`,
        [user.id],
      );
      expect(orphans.rows[0].n).toBe(0);
    }
    // Usage is the account's spending: every stored message is counted, deleted or not.
    const stored = EXISTING + [...appended, ...made.map((m) => m.appended)].filter((r) => r.status === 201).length;
    const usage = await call(on(0), 'GET', `${API}/usage`, user.accessToken);
    expect(usage.body.total.messages).toBe(stored);
  });
});

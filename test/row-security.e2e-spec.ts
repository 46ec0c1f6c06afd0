import request from 'supertest';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { validateEnv } from '../src/config/env.js';
import { ROW_SECURED_TABLES } from '../src/database/migrations/1795307600000-RowLevelSecurity.js';
import { asSystem, asUser } from '../src/database/row-security/row-security-context.js';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';
import { API, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { rowSecurityEnv, testDatabaseUrl, testEnv } from './support/test-env.js';

/**
 * DATABASE_RLS=on: statements that forget `user_id = <caller>` still see only the caller's rows, through the
 * app's own pooled connections (one of them, so every check reuses the connection the previous one had).
 */
describe('row-level security', () => {
  let t: TestApp;
  let ds: DataSource;
  const db = testPool();
  const adminEmail = uniqueEmail('rls-admin');
  let alice: TestUser;
  let bob: TestUser;

  const owners = (sql: string, manager: EntityManager = ds.manager) =>
    manager.query(sql).then((rows: { user_id: string }[]) => rows.map((row) => row.user_id).sort());
  const mine = (table: string) => `SELECT DISTINCT user_id FROM ${table} WHERE user_id = ANY($1::uuid[])`;
  const both = () => [alice.id, bob.id].sort();

  beforeAll(async () => {
    t = await createTestApp({ ...rowSecurityEnv(), DATABASE_POOL_SIZE: '1', ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    ds = t.app.get(DataSource);
    [alice, bob] = [await registerUser(t), await registerUser(t)];
    for (const user of [alice, bob]) {
      const session = await request(t.server).post(`${API}/sessions`).set(user.auth).send({ title: 'mine' }).expect(201);
      await request(t.server)
        .post(`${API}/sessions/${session.body.id}/messages`)
        .set(user.auth)
        .send({ role: 'assistant', content: 'hello', model: 'm', usage: { prompt_tokens: 3, completion_tokens: 4 } })
        .expect(201);
    }
    // Everyone's reservations, as the owner: the policies are what keeps them apart below.
    await db.query(
      `INSERT INTO model_call_reservations (user_id, tokens, expires_at) VALUES ($1, 1, now() + interval '1 hour'), ($2, 1, now() + interval '1 hour')`,
      [alice.id, bob.id],
    );
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  it('connects as a role that does not own the tables', async () => {
    const [row] = await ds.query(`SELECT current_user AS role, pg_has_role(current_user, c.relowner, 'USAGE') AS owns
                                    FROM pg_class c WHERE c.oid = 'chat_sessions'::regclass`);
    expect(row).toEqual({ role: 'chat_app', owns: false });
  });

  it.each(ROW_SECURED_TABLES)('an unfiltered SELECT on %s sees only the caller’s rows', async (table) => {
    const unfiltered = `SELECT DISTINCT user_id FROM ${table}`;
    await expect(asUser(alice.id, () => owners(unfiltered))).resolves.toEqual([alice.id]);
    await expect(asUser(bob.id, () => ds.transaction((tx) => owners(unfiltered, tx)))).resolves.toEqual([bob.id]);
    await expect(owners(unfiltered)).resolves.toEqual([]);
    await expect(ds.transaction((tx) => owners(unfiltered, tx))).resolves.toEqual([]);
    // The owner sees both, and so does the app's explicit system scope.
    expect((await db.query(mine(table), [both()])).rowCount).toBe(2);
    await expect(asSystem('test', () => ds.query(mine(table), [both()]).then((rows: unknown[]) => rows.length))).resolves.toBe(2);
  });

  it('refuses to write a row for another user, and an unfiltered UPDATE touches only the caller’s', async () => {
    const insert = asUser(alice.id, () => ds.query(`INSERT INTO chat_sessions (user_id, title) VALUES ($1, 'planted')`, [bob.id]));
    await expect(insert).rejects.toMatchObject({ code: '42501' });
    const [, touched] = await asUser(alice.id, () => ds.query(`UPDATE chat_sessions SET title = title`));
    expect(touched).toBe(1);
    const [, none] = await ds.query(`DELETE FROM chat_messages`);
    expect(none).toBe(0);
  });

  it('a rolled-back transaction or a stream leaves no scope behind on the connection', async () => {
    await expect(
      asUser(alice.id, () =>
        ds.transaction(async (tx) => {
          await tx.query('SELECT 1');
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    await expect(asUser(bob.id, () => owners('SELECT DISTINCT user_id FROM chat_messages'))).resolves.toEqual([bob.id]);
    // A Submittable (what pg-query-stream and pg-cursor hand to the client) waits for the scope too.
    const pool = (ds.driver as unknown as { master: pg.Pool }).master;
    const streamed = await asUser(alice.id, async () => {
      const client = await pool.connect();
      try {
        const rows = new Set<string>();
        const query = client.query(new pg.Query('SELECT user_id FROM chat_messages'));
        query.on('row', (row: { user_id: string }) => rows.add(row.user_id));
        await new Promise((resolve, reject) => query.on('end', resolve).on('error', reject));
        return [...rows];
      } finally {
        client.release();
      }
    });
    expect(streamed).toEqual([alice.id]);
    await expect(owners('SELECT DISTINCT user_id FROM chat_messages')).resolves.toEqual([]);
  });

  it('the API works as before: own data, the admin leaderboard across users, erasure', async () => {
    const list = await request(t.server).get(`${API}/sessions`).set(alice.auth).expect(200);
    expect(list.body.data.map((s: { user_id: string }) => s.user_id)).toEqual([alice.id]);
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
    const board = await request(t.server)
      .get(`${API}/admin/usage`)
      .query({ page_size: 100 })
      .set({ Authorization: `Bearer ${login.body.access_token}` });
    expect(board.status).toBe(200);
    expect(board.body.data.map((row: { user_id: string }) => row.user_id)).toEqual(expect.arrayContaining(both()));

    await request(t.server).delete(`${API}/users/me`).set(bob.auth).expect(204);
    await t.app.get(ErasureWorker).drainFor([bob.id]);
    const left = await db.query(`SELECT count(*)::int AS n FROM chat_messages WHERE user_id = $1`, [bob.id]);
    expect(left.rows[0].n).toBe(0);
  });

  it('refuses to start when the app’s role would bypass the policies, or when it is not configured', async () => {
    await expect(createTestApp({ DATABASE_RLS: 'on', DATABASE_APP_URL: testDatabaseUrl() })).rejects.toThrow(/owns the tables|bypasses/);
    expect(() => validateEnv(testEnv({ DATABASE_RLS: 'on', DATABASE_APP_URL: '' }))).toThrow(/DATABASE_RLS=on needs DATABASE_APP_URL/);
  });
});

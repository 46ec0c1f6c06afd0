import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';

/** "The last admin" is about every admin in the database, so this spec has a database of its own. */
describe('at least one admin remains', () => {
  const name = `last_admin_${randomBytes(4).toString('hex')}`;
  const serverUrl = new URL(testDatabaseUrl());
  const ownUrl = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  const server = new pg.Client({ connectionString: Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString() });
  let db: pg.Pool;
  let t: TestApp;
  let first: TestUser;
  const adminEmail = uniqueEmail('root');

  const admins = async () =>
    (await db.query(`SELECT id FROM users WHERE role = 'admin' AND deleted_at IS NULL ORDER BY id`)).rows.map((r) => r.id as string);
  const login = async (email: string, password: string): Promise<TestUser> => {
    const res = await request(t.server).post(`${API}/auth/login`).send({ email, password }).expect(200);
    return { ...res.body.user, password, accessToken: res.body.access_token, auth: { Authorization: `Bearer ${res.body.access_token}` } };
  };
  /** A second admin, promoted through the API by the first. */
  const secondAdmin = async () => {
    const user = await registerUser(t);
    await request(t.server).patch(`${API}/users/${user.id}`).set(first.auth).send({ role: 'admin' }).expect(200);
    return login(user.email, user.password);
  };

  beforeAll(async () => {
    await server.connect();
    await server.query(`CREATE DATABASE ${name}`);
    db = new pg.Pool({ connectionString: ownUrl, max: 2 });
    t = await createTestApp({ DATABASE_URL: ownUrl, MIGRATIONS_RUN: 'true', ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    first = await login(adminEmail, 'admin password 1');
  });
  afterAll(async () => {
    await t.close();
    await db.end();
    // Not WITH (FORCE): terminating a connection the closed app is still letting go of is an unhandled error.
    for (let attempt = 1; ; attempt++) {
      const dropped = await server.query(`DROP DATABASE IF EXISTS ${name}`).then(
        () => true,
        (error: unknown) => (attempt < 50 ? false : Promise.reject(error)),
      );
      if (dropped) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await server.end();
  });

  it('the only admin can neither demote nor delete itself: 409 last_admin, nothing changed', async () => {
    expect(await admins()).toEqual([first.id]);
    expectProblem(await request(t.server).patch(`${API}/users/${first.id}`).set(first.auth).send({ role: 'user' }), 409, 'last_admin');
    expectProblem(await request(t.server).delete(`${API}/users/${first.id}`).set(first.auth), 409, 'last_admin');
    expectProblem(await request(t.server).delete(`${API}/users/me`).set(first.auth), 409, 'last_admin');
    expect(await admins()).toEqual([first.id]);
    // Other changes to the last admin still go through.
    await request(t.server).patch(`${API}/users/${first.id}`).set(first.auth).send({ role: 'admin', daily_message_limit: 5 }).expect(200);
  });

  it('with a second admin, one of them may go', async () => {
    const second = await secondAdmin();
    await request(t.server).patch(`${API}/users/${second.id}`).set(first.auth).send({ role: 'user' }).expect(200);
    expect(await admins()).toEqual([first.id]);
  });

  it('two admins demoting each other at the same moment leave one admin', async () => {
    for (let round = 0; round < 5; round++) {
      const second = await secondAdmin();
      const results = await Promise.all([
        request(t.server).patch(`${API}/users/${first.id}`).set(second.auth).send({ role: 'user' }),
        request(t.server).patch(`${API}/users/${second.id}`).set(first.auth).send({ role: 'user' }),
      ]);
      // The loser gets 409 when both passed the role check, or 403 when the winner had already committed.
      const [won, lost] = results.map((r) => r.status).sort();
      expect(won).toBe(200);
      expect([403, 409]).toContain(lost);
      const left = await admins();
      expect(left).toHaveLength(1);
      // Put the first admin back in charge for the next round.
      if (left[0] !== first.id) await db.query(`UPDATE users SET role = CASE WHEN id = $1 THEN 'admin' ELSE 'user' END`, [first.id]);
    }
  });

  it('two admins deleting themselves at the same moment leave one admin', async () => {
    const second = await secondAdmin();
    const results = await Promise.all([
      request(t.server).delete(`${API}/users/me`).set(first.auth),
      request(t.server).delete(`${API}/users/me`).set(second.auth),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
    expect(await admins()).toHaveLength(1);
  });
});

import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { AdminTakeoverRefused } from '../src/users/user.errors.js';
import { UsersService } from '../src/users/users.service.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { ErasureWorker } from '../src/erasure/erasure.worker.js';

/** No response may ever carry a password hash or a password. */
function expectNoSecrets(res: request.Response) {
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/scrypt\$|password/i);
}

describe('users', () => {
  let t: TestApp;
  const db = testPool();
  const adminEmail = uniqueEmail('admin');
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
    expect(login.body.user.role).toBe('admin');
    admin = { ...login.body.user, accessToken: login.body.access_token, auth: { Authorization: `Bearer ${login.body.access_token}` } };
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  describe('me', () => {
    it('reads and updates the profile, and null clears a field', async () => {
      const user = await registerUser(t, { display_name: 'Ada' });
      const me = await request(t.server).get(`${API}/users/me`).set(user.auth).expect(200);
      expect(me.body).toMatchObject({ id: user.id, email: user.email, display_name: 'Ada', role: 'user' });
      expectNoSecrets(me);

      const patched = await request(t.server)
        .patch(`${API}/users/me`)
        .set(user.auth)
        .send({ display_name: 'Ada L.', avatar_url: 'https://example.com/a.png' })
        .expect(200);
      expect(patched.body).toMatchObject({ display_name: 'Ada L.', avatar_url: 'https://example.com/a.png' });
      expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(me.body.updated_at));

      const cleared = await request(t.server).patch(`${API}/users/me`).set(user.auth).send({ avatar_url: null }).expect(200);
      expect(cleared.body).toMatchObject({ display_name: 'Ada L.', avatar_url: null });
      const { rows } = await db.query('SELECT display_name, avatar_url FROM users WHERE id = $1', [user.id]);
      expect(rows[0]).toEqual({ display_name: 'Ada L.', avatar_url: null });
    });

    it.each([
      [{ avatar_url: 'javascript:alert(1)' }, 'avatar_url'],
      [{ display_name: 'x'.repeat(101) }, 'display_name'],
      [{ role: 'admin' }, 'role'],
      [{ email: 'new@example.com' }, 'email'],
    ])('rejects %j and changes nothing', async (body, field) => {
      const user = await registerUser(t, { display_name: 'Before' });
      const res = await request(t.server).patch(`${API}/users/me`).set(user.auth).send(body);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      const { rows } = await db.query('SELECT display_name, role, email FROM users WHERE id = $1', [user.id]);
      expect(rows[0]).toEqual({ display_name: 'Before', role: 'user', email: user.email });
    });

    it('needs a token', async () => {
      expectProblem(await request(t.server).get(`${API}/users/me`), 401, 'unauthorized');
      expectProblem(await request(t.server).patch(`${API}/users/me`).send({}), 401, 'unauthorized');
      expectProblem(await request(t.server).delete(`${API}/users/me`), 401, 'unauthorized');
    });

    it('deletes the account with everything it owns', async () => {
      const user = await registerUser(t);
      const session = await request(t.server).post(`${API}/sessions`).set(user.auth).send({}).expect(201);
      await request(t.server)
        .post(`${API}/sessions/${session.body.id}/messages`)
        .set(user.auth)
        .send({ role: 'assistant', content: 'hi', usage: { prompt_tokens: 1, completion_tokens: 1 } })
        .expect(201);
      await request(t.server).delete(`${API}/users/me`).set(user.auth).expect(204);
      await t.app.get(ErasureWorker).drainFor([user.id]);
      for (const table of ['users', 'refresh_tokens', 'chat_sessions', 'chat_messages', 'usage_daily', 'erasures']) {
        const column = table === 'users' ? 'id' : 'user_id';
        const { rowCount } = await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [user.id]);
        expect({ table, rowCount }).toEqual({ table, rowCount: 0 });
      }
      // The access token outlives the account but opens nothing.
      expectProblem(await request(t.server).get(`${API}/users/me`).set(user.auth), 401, 'unauthorized');
      expectProblem(
        await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }),
        401,
        'invalid_credentials',
      );
    });
  });

  describe('admin', () => {
    it('bootstraps the admin from ADMIN_EMAIL, and promotes an existing account only with its own password', async () => {
      const existing = await registerUser(t);
      const promoting = await createTestApp({ ADMIN_EMAIL: existing.email.toUpperCase(), ADMIN_PASSWORD: existing.password });
      await promoting.close();
      const { rows } = await db.query('SELECT role FROM users WHERE id = $1', [existing.id]);
      expect(rows[0].role).toBe('admin');
      await request(t.server).post(`${API}/auth/login`).send({ email: existing.email, password: existing.password }).expect(200);
    });

    it('refuses to start rather than promote an account registered with another password', async () => {
      const squatter = await registerUser(t);
      const start = createTestApp({ ADMIN_EMAIL: squatter.email, ADMIN_PASSWORD: 'the operator password' });
      await expect(start).rejects.toThrow(/not ADMIN_PASSWORD.*npm run admin:create -- --force/s);
      const { rows } = await db.query('SELECT role FROM users WHERE id = $1', [squatter.id]);
      expect(rows[0].role).toBe('user');
    });

    it('admin:create --force resets the password of that account and promotes it', async () => {
      const squatter = await registerUser(t);
      const users = t.app.get(UsersService);
      await expect(users.ensureAdmin(squatter.email, 'the operator password')).rejects.toThrow(AdminTakeoverRefused);
      await expect(users.ensureAdmin(squatter.email, 'the operator password', { resetPassword: true })).resolves.toBe('promoted');
      await request(t.server).post(`${API}/auth/login`).send({ email: squatter.email, password: squatter.password }).expect(401);
      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: squatter.email, password: 'the operator password' })
        .expect(200);
      expect(login.body.user.role).toBe('admin');
    });

    it('lists users newest first, searches by email, and pages by cursor', async () => {
      const tag = `tag${Date.now()}`;
      const made: TestUser[] = [];
      for (let i = 0; i < 3; i++) made.push(await registerUser(t, { email: uniqueEmail(tag) }));
      const first = await request(t.server)
        .get(`${API}/users`)
        .query({ search: tag.toUpperCase(), page_size: 2 })
        .set(admin.auth)
        .expect(200);
      expect(first.body).toMatchObject({ total: 3, page: 1, page_size: 2, has_more: true });
      expect(first.body.data.map((u: { id: string }) => u.id)).toEqual([made[2].id, made[1].id]);
      expectNoSecrets(first);

      const second = await request(t.server)
        .get(`${API}/users`)
        .query({ search: tag, page_size: 2, cursor: first.body.next_cursor })
        .set(admin.auth)
        .expect(200);
      expect(second.body).toMatchObject({ total: 3, page: null, has_more: false, next_cursor: null });
      expect(second.body.data.map((u: { id: string }) => u.id)).toEqual([made[0].id]);
    });

    it('treats LIKE wildcards in the search literally', async () => {
      const res = await request(t.server).get(`${API}/users`).query({ search: '%' }).set(admin.auth).expect(200);
      expect(res.body.total).toBe(0);
    });

    it('gets, promotes and deletes a user', async () => {
      const user = await registerUser(t);
      const got = await request(t.server).get(`${API}/users/${user.id}`).set(admin.auth).expect(200);
      expect(got.body).toMatchObject({ id: user.id, role: 'user' });
      expectNoSecrets(got);
      const promoted = await request(t.server).patch(`${API}/users/${user.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
      expect(promoted.body.role).toBe('admin');
      // The new admin's old token (role "user") is refused by the token check, not granted by the database.
      expectProblem(await request(t.server).get(`${API}/users`).set(user.auth), 403, 'forbidden');

      await request(t.server).delete(`${API}/users/${user.id}`).set(admin.auth).expect(204);
      expectProblem(await request(t.server).get(`${API}/users/${user.id}`).set(admin.auth), 404, 'user_not_found');
      expectProblem(await request(t.server).delete(`${API}/users/${user.id}`).set(admin.auth), 404, 'user_not_found');
    });

    it('takes admin rights away at once when an admin is demoted', async () => {
      const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
      const other = await registerUser(t);
      await request(t.server).patch(`${API}/users/${other.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
      const otherAdmin = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: other.email, password: other.password })
        .expect(200);
      const otherAuth = { Authorization: `Bearer ${otherAdmin.body.access_token}` };
      await request(t.server).get(`${API}/users`).set(otherAuth).expect(200);
      await request(t.server)
        .patch(`${API}/users/${other.id}`)
        .set({ Authorization: `Bearer ${login.body.access_token}` })
        .send({ role: 'user' })
        .expect(200);
      // Same still-valid token claiming "admin", but the database says otherwise.
      expectProblem(await request(t.server).get(`${API}/users`).set(otherAuth), 403, 'forbidden');
    });

    it('answers 403 to non-admins on every admin route', async () => {
      const user = await registerUser(t);
      const target = `${API}/users/${admin.id}`;
      for (const res of [
        await request(t.server).get(`${API}/users`).set(user.auth),
        await request(t.server).get(target).set(user.auth),
        await request(t.server).patch(target).set(user.auth).send({ role: 'user' }),
        await request(t.server).delete(target).set(user.auth),
      ]) {
        expectProblem(res, 403, 'forbidden');
      }
      const { rows } = await db.query('SELECT role FROM users WHERE id = $1', [admin.id]);
      expect(rows[0].role).toBe('admin');
    });

    it('validates ids, roles and paging', async () => {
      expectProblem(await request(t.server).get(`${API}/users/not-a-uuid`).set(admin.auth), 400, 'validation_failed');
      expectProblem(
        await request(t.server).patch(`${API}/users/${admin.id}`).set(admin.auth).send({ role: 'root' }),
        400,
        'validation_failed',
      );
      expectProblem(await request(t.server).get(`${API}/users`).query({ page_size: 101 }).set(admin.auth), 400, 'validation_failed');
      expectProblem(await request(t.server).get(`${API}/users`).query({ page: 0 }).set(admin.auth), 400, 'validation_failed');
      expectProblem(await request(t.server).get(`${API}/users`).query({ cursor: 'forged' }).set(admin.auth), 400, 'validation_failed');
      expectProblem(await request(t.server).get(`${API}/users`).query({ page: 1, cursor: 'x' }).set(admin.auth), 400, 'validation_failed');
    });
  });
});

import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';

const ISSUER = 'https://idp.example.test/realms/acme';
const ADMIN_PASSWORD = 'admin password 1';
/** Long enough that a lookup trusted past a key's expiry would show. */
const KEY_TTL_MS = 3000;

/** Every log line the app writes, for checking what reaches the logs. */
class LogSink {
  readonly lines: string[] = [];
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter(Boolean));
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
}

describe('service accounts (API keys)', () => {
  const db = testPool();
  const logs = new LogSink();
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    const adminEmail = uniqueEmail('admin');
    t = await createTestApp(
      { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD, OIDC_ISSUER: ISSUER, LOG_LEVEL: 'info', API_KEY_CHECK_TTL_MS: String(KEY_TTL_MS) },
      logs,
    );
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: ADMIN_PASSWORD }).expect(200);
    admin = { ...login.body.user, accessToken: login.body.access_token, auth: { Authorization: `Bearer ${login.body.access_token}` } };
    alice = await registerUser(t);
    bob = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const createKey = async (scopes: string[], extra: Record<string, unknown> = {}): Promise<CreatedKey> =>
    (
      await request(t.server)
        .post(`${API}/admin/api-keys`)
        .set(admin.auth)
        .send({ name: 'backend', scopes, ...extra })
        .expect(201)
    ).body;
  const asKey = (key: string, user?: string) => ({ Authorization: `Bearer ${key}`, ...(user ? { 'X-On-Behalf-Of': user } : {}) });

  describe('management', () => {
    it('creates a key shown once, stores only its digest, lists it without the key and revokes it', async () => {
      const res = await request(t.server)
        .post(`${API}/admin/api-keys`)
        .set(admin.auth)
        .send({ name: 'support-backend', scopes: ['act_as_user'], expires_at: '2099-01-01T00:00:00Z' })
        .expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'support-backend',
        prefix: res.body.key.slice(0, 12),
        scopes: ['act_as_user'],
        expires_at: '2099-01-01T00:00:00.000Z',
        created_at: expect.any(String),
        revoked_at: null,
        key: expect.stringMatching(/^chs_[\w-]{43}$/),
      });
      const { id, key } = res.body as CreatedKey;
      const { rows } = await db.query('SELECT * FROM api_keys WHERE id = $1', [id]);
      expect(rows[0].key_hash).toEqual(createHash('sha256').update(key).digest());
      expect(JSON.stringify(rows[0])).not.toContain(key.slice(12));

      const list = await request(t.server).get(`${API}/admin/api-keys?page_size=100`).set(admin.auth).expect(200);
      expect(list.body).toEqual(
        expect.objectContaining({ total: expect.any(Number), page: 1, page_size: 100, has_more: expect.any(Boolean) }),
      );
      const listed = list.body.data.find((k: { id: string }) => k.id === id);
      expect(Object.keys(listed).sort()).toEqual(['created_at', 'expires_at', 'id', 'name', 'prefix', 'revoked_at', 'scopes']);
      expect(JSON.stringify(list.body)).not.toContain(key.slice(12));

      await request(t.server).delete(`${API}/admin/api-keys/${id}`).set(admin.auth).expect(204);
      await request(t.server).delete(`${API}/admin/api-keys/${id}`).set(admin.auth).expect(204);
      const after = await request(t.server).get(`${API}/admin/api-keys?page_size=100`).set(admin.auth).expect(200);
      expect(after.body.data.find((k: { id: string }) => k.id === id).revoked_at).toEqual(expect.any(String));
    });

    it('pages by cursor, newest first', async () => {
      const made = [await createKey(['usage:read']), await createKey(['usage:read']), await createKey(['usage:read'])];
      const first = await request(t.server).get(`${API}/admin/api-keys?page_size=2`).set(admin.auth).expect(200);
      expect(first.body.data.map((k: { id: string }) => k.id)).toEqual([made[2].id, made[1].id]);
      const next = await request(t.server)
        .get(`${API}/admin/api-keys?page_size=2&cursor=${first.body.next_cursor}`)
        .set(admin.auth)
        .expect(200);
      expect(next.body.page).toBeNull();
      expect(next.body.data[0].id).toBe(made[0].id);
    });

    it('answers 404 for an unknown key and 400 for a malformed id', async () => {
      expectProblem(await request(t.server).delete(`${API}/admin/api-keys/${randomUUID()}`).set(admin.auth), 404, 'api_key_not_found');
      expectProblem(await request(t.server).delete(`${API}/admin/api-keys/nope`).set(admin.auth), 400, 'validation_failed');
    });

    it.each([
      [{ scopes: ['act_as_user'] }, 'name'],
      [{ name: '', scopes: ['act_as_user'] }, 'name'],
      [{ name: 'x'.repeat(101), scopes: ['act_as_user'] }, 'name'],
      [{ name: 'k', scopes: [] }, 'scopes'],
      [{ name: 'k', scopes: ['admin'] }, 'scopes'],
      [{ name: 'k', scopes: ['act_as_user', 'act_as_user'] }, 'scopes'],
      [{ name: 'k', scopes: null }, 'scopes'],
      [{ name: 'k', scopes: 'act_as_user' }, 'scopes'],
      [{ name: 'k', scopes: ['act_as_user'], expires_at: 'tomorrow' }, 'expires_at'],
      [{ name: 'k', scopes: ['act_as_user'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'k', scopes: ['act_as_user'], key: 'chs_mine' }, 'key'],
    ])('refuses %j (400 on %s) and stores nothing', async (body, field) => {
      const before = await db.query('SELECT count(*)::int AS n FROM api_keys');
      const res = await request(t.server).post(`${API}/admin/api-keys`).set(admin.auth).send(body);
      expect(expectProblem(res, 400, 'validation_failed').errors?.map((e) => e.field)).toContain(field);
      const after = await db.query('SELECT count(*)::int AS n FROM api_keys');
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it('is for admins only: users get 403, anonymous callers 401, and keys cannot manage keys even acting for an admin', async () => {
      const { id } = await createKey(['usage:read']);
      for (const [method, path] of [
        ['post', '/admin/api-keys'],
        ['get', '/admin/api-keys'],
        ['delete', `/admin/api-keys/${id}`],
      ] as const) {
        expectProblem(
          await request(t.server)
            [method](`${API}${path}`)
            .set(alice.auth)
            .send({ name: 'k', scopes: ['act_as_user'] }),
          403,
          'forbidden',
        );
        expectProblem(await request(t.server)[method](`${API}${path}`), 401, 'unauthorized');
      }
      const { key } = await createKey(['act_as_user']);
      expectProblem(await request(t.server).get(`${API}/admin/api-keys`).set(asKey(key, admin.id)), 403, 'forbidden');
      expectProblem(await request(t.server).get(`${API}/users`).set(asKey(key, admin.id)), 403, 'forbidden');
      const me = await request(t.server).get(`${API}/users/me`).set(asKey(key, admin.id)).expect(200);
      expect(me.body.id).toBe(admin.id);
    });
  });

  describe('acting for a user', () => {
    let key: CreatedKey;
    let aliceSession: string;
    let bobSession: string;

    beforeAll(async () => {
      key = await createKey(['act_as_user']);
      aliceSession = (await request(t.server).post(`${API}/sessions`).set(alice.auth).send({ title: 'alice' }).expect(201)).body.id;
      bobSession = (await request(t.server).post(`${API}/sessions`).set(bob.auth).send({ title: 'bob' }).expect(201)).body.id;
    });

    it("sees only that user's data, and another user's session is 404", async () => {
      const list = await request(t.server).get(`${API}/sessions`).set(asKey(key.key, alice.id)).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([aliceSession]);
      expectProblem(await request(t.server).get(`${API}/sessions/${bobSession}`).set(asKey(key.key, alice.id)), 404, 'session_not_found');
      expectProblem(
        await request(t.server)
          .post(`${API}/sessions/${bobSession}/messages`)
          .set(asKey(key.key, alice.id))
          .send({ role: 'user', content: 'hi' }),
        404,
        'session_not_found',
      );
      await request(t.server).get(`${API}/sessions/${aliceSession}`).set(asKey(key.key, alice.id)).expect(200);
    });

    it('writes as that user, with the key in X-API-Key too', async () => {
      const res = await request(t.server)
        .post(`${API}/sessions`)
        .set({ 'X-API-Key': key.key, 'X-On-Behalf-Of': bob.id })
        .send({ title: 'made by a backend' })
        .expect(201);
      const { rows } = await db.query('SELECT user_id FROM chat_sessions WHERE id = $1', [res.body.id]);
      expect(rows[0].user_id).toBe(bob.id);
    });

    it('resolves an external subject of OIDC_ISSUER through user_identities, and only of that issuer', async () => {
      const subject = `sub-${randomUUID()}`;
      await db.query('INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)', [ISSUER, subject, bob.id]);
      const me = await request(t.server).get(`${API}/users/me`).set(asKey(key.key, subject)).expect(200);
      expect(me.body.id).toBe(bob.id);
      const other = `sub-${randomUUID()}`;
      await db.query('INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)', [
        'https://other.example.test',
        other,
        bob.id,
      ]);
      expectProblem(await request(t.server).get(`${API}/users/me`).set(asKey(key.key, other)), 422, 'on_behalf_of_unknown');
    });

    it('refuses an unknown, erased or malformed user', async () => {
      expectProblem(await request(t.server).get(`${API}/sessions`).set(asKey(key.key, randomUUID())), 422, 'on_behalf_of_unknown');
      expectProblem(await request(t.server).get(`${API}/sessions`).set(asKey(key.key, 'nobody')), 422, 'on_behalf_of_unknown');
      expectProblem(
        await request(t.server)
          .get(`${API}/sessions`)
          .set(asKey(key.key, 'x'.repeat(256))),
        400,
        'validation_failed',
      );
      const carol = await registerUser(t);
      await request(t.server).delete(`${API}/users/me`).set(carol.auth).expect(204);
      expectProblem(await request(t.server).get(`${API}/sessions`).set(asKey(key.key, carol.id)), 422, 'on_behalf_of_unknown');
    });

    it('logs the key id and the user on each call, never the key', async () => {
      const requestId = `api-key-log-${randomUUID()}`;
      await request(t.server)
        .get(`${API}/sessions`)
        .set({ ...asKey(key.key, alice.id), 'X-Request-Id': requestId })
        .expect(200);
      await request(t.server).get(`${API}/sessions`).set({ 'X-API-Key': key.key, 'X-On-Behalf-Of': alice.id }).expect(200);
      await request(t.server).get(`${API}/sessions`).set({ 'X-API-Key': key.key }).expect(403);
      await sleep(200);
      const line = logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.req_id === requestId || (l.req as { id?: string })?.id === requestId);
      expect(line).toEqual(expect.objectContaining({ api_key_id: key.id, on_behalf_of: alice.id }));
      expect(logs.text).toContain(key.id);
      expect(logs.text).not.toContain(key.key.slice(12));
    });
  });

  describe('scopes', () => {
    it('refuses X-On-Behalf-Of without act_as_user, and from a user token', async () => {
      const { key } = await createKey(['usage:read']);
      expectProblem(await request(t.server).get(`${API}/sessions`).set(asKey(key, alice.id)), 403, 'insufficient_scope');
      expectProblem(
        await request(t.server)
          .get(`${API}/sessions`)
          .set({ ...bob.auth, 'X-On-Behalf-Of': alice.id }),
        403,
        'insufficient_scope',
      );
    });

    it('lets a key call for itself only the routes its scopes name', async () => {
      const reader = await createKey(['usage:read']);
      const actor = await createKey(['act_as_user']);
      await request(t.server).get(`${API}/admin/usage`).set(asKey(reader.key)).expect(200);
      expectProblem(await request(t.server).get(`${API}/admin/usage`).set(asKey(actor.key)), 403, 'insufficient_scope');
      expectProblem(await request(t.server).get(`${API}/sessions`).set(asKey(reader.key)), 403, 'on_behalf_of_required');
      expectProblem(await request(t.server).get(`${API}/users/me`).set(asKey(actor.key)), 403, 'on_behalf_of_required');
    });
  });

  describe('revoked, expired and unknown keys', () => {
    it('answers 401 for a revoked key at once on the revoking instance', async () => {
      const { id, key } = await createKey(['act_as_user']);
      await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id)).expect(200);
      await request(t.server).delete(`${API}/admin/api-keys/${id}`).set(admin.auth).expect(204);
      const res = await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id));
      expect(expectProblem(res, 401, 'unauthorized').detail).toMatch(/revoked/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('answers 401 within API_KEY_CHECK_TTL_MS when another instance revoked the key', async () => {
      const { id, key } = await createKey(['act_as_user']);
      await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id)).expect(200);
      // What another instance's revocation leaves behind: the row revoked, this instance's trust untouched.
      await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
      await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id)).expect(200);
      await sleep(KEY_TTL_MS + 100);
      expectProblem(
        await request(t.server).get(`${API}/users/me`).set({ 'X-API-Key': key, 'X-On-Behalf-Of': alice.id }),
        401,
        'unauthorized',
      );
    });

    it('answers 401 once a key expires, even while its lookup is still trusted', async () => {
      const expiresAt = new Date(Date.now() + KEY_TTL_MS / 2).toISOString();
      const { key } = await createKey(['act_as_user'], { expires_at: expiresAt });
      await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id)).expect(200);
      await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 100);
      const res = await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id));
      expect(expectProblem(res, 401, 'unauthorized').detail).toMatch(/expired/);
    });

    it('answers 401 for a key set to expire in the past, an unknown key and a malformed one', async () => {
      const { id, key } = await createKey(['act_as_user']);
      await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      expectProblem(await request(t.server).get(`${API}/users/me`).set(asKey(key, alice.id)), 401, 'unauthorized');
      const unknown = `chs_${'A'.repeat(43)}`;
      expectProblem(await request(t.server).get(`${API}/users/me`).set(asKey(unknown, alice.id)), 401, 'unauthorized');
      expectProblem(await request(t.server).get(`${API}/users/me`).set({ 'X-API-Key': 'not-a-key' }), 401, 'unauthorized');
      expectProblem(await request(t.server).get(`${API}/users/me`).set({ Authorization: 'Bearer chs_short' }), 401, 'unauthorized');
    });
  });
});

import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail } from './support/factories.js';
import { FakeIdp } from './support/fake-idp.js';
import { createTestApp, startTestApp, testPool, type TestApp } from './support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const ROLES = { OIDC_ROLES_CLAIM: 'realm_access.roles', OIDC_ADMIN_ROLE: 'chat-admin' };

describe('external users (AUTH_MODE=oidc)', () => {
  const idp = new FakeIdp();
  const db = testPool();
  let t: TestApp & { url: string };

  beforeAll(async () => {
    await idp.start();
    t = await startTestApp(idp.settings(ROLES));
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
    await db.end();
  });

  it('provisions the user on first sight from sub, email and name, and finds them again by (issuer, sub)', async () => {
    const sub = randomUUID();
    const email = uniqueEmail('Grace');
    const first = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await idp.token({ sub, email, name: 'Grace Hopper' })))
      .expect(200);
    expect(first.body).toMatchObject({ email: email.toLowerCase(), display_name: 'Grace Hopper', role: 'user' });
    const again = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await idp.token({ sub })))
      .expect(200);
    expect(again.body.id).toBe(first.body.id);
    const { rows } = await db.query('SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2', [idp.issuer, sub]);
    expect(rows).toEqual([{ user_id: first.body.id }]);
    // No local login: no user_emails row, and a password hash nothing verifies.
    const login = await db.query('SELECT 1 FROM user_emails WHERE user_id = $1', [first.body.id]);
    expect(login.rowCount).toBe(0);
  });

  it('makes exactly one user of concurrent first requests for one subject', async () => {
    const sub = randomUUID();
    const tokens = await Promise.all(Array.from({ length: 12 }, () => idp.token({ sub })));
    const answers = await Promise.all(tokens.map((token) => fetch(`${t.url}/${API.slice(1)}/users/me`, { headers: bearer(token) })));
    const ids = await Promise.all(answers.map(async (res) => ((await res.json()) as { id: string }).id));
    expect(answers.map((res) => res.status)).toEqual(tokens.map(() => 200));
    expect(new Set(ids).size).toBe(1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM user_identities WHERE subject = $1', [sub]);
    expect(rows[0].n).toBe(1);
    const users = await db.query(`SELECT count(*)::int AS n FROM users WHERE password_hash = '!' AND id = ANY($1)`, [ids]);
    expect(users.rows[0].n).toBe(1);
  });

  it('accepts a token without an email (the profile email is null)', async () => {
    const res = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await idp.token()))
      .expect(200);
    expect(res.body.email).toBeNull();
  });

  it('grants admin while the roles claim holds OIDC_ADMIN_ROLE, and takes it back when it no longer does', async () => {
    const sub = randomUUID();
    const admin = await idp.token({ sub, realm_access: { roles: ['offline_access', 'chat-admin'] } });
    expect((await request(t.server).get(`${API}/users/me`).set(bearer(admin)).expect(200)).body.role).toBe('admin');
    await request(t.server).get(`${API}/users`).set(bearer(admin)).expect(200);

    const demoted = await idp.token({ sub, realm_access: { roles: ['offline_access'] } });
    expectProblem(await request(t.server).get(`${API}/users`).set(bearer(demoted)), 403, 'forbidden');
    // The role is read from the database by every admin route, so the older admin token is refused too.
    expectProblem(await request(t.server).get(`${API}/users`).set(bearer(admin)), 403, 'forbidden');
  });

  it('turns off local register, login and refresh with 404 local_auth_disabled', async () => {
    const email = uniqueEmail();
    for (const [path, body] of [
      ['register', { email, password: 'correct horse battery' }],
      ['login', { email, password: 'correct horse battery' }],
      ['refresh', { refresh_token: `${randomUUID()}.${'a'.repeat(43)}` }],
    ] as const) {
      expectProblem(await request(t.server).post(`${API}/auth/${path}`).send(body), 404, 'local_auth_disabled');
    }
  });

  it('refuses the tokens of an erased account at once, cached verification or not', async () => {
    const token = await idp.token();
    await request(t.server).get(`${API}/users/me`).set(bearer(token)).expect(200);
    await request(t.server).delete(`${API}/users/me`).set(bearer(token)).expect(204);
    expectProblem(await request(t.server).get(`${API}/users/me`).set(bearer(token)), 401, 'unauthorized');
  });
});

describe('AUTH_MODE=both', () => {
  const idp = new FakeIdp();
  let t: TestApp;

  beforeAll(async () => {
    await idp.start();
    t = await createTestApp(idp.settings({ AUTH_MODE: 'both' }));
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
  });

  it('accepts local and external tokens, and never links an external user to the local account with its email', async () => {
    const local = await registerUser(t);
    await request(t.server).get(`${API}/users/me`).set(local.auth).expect(200);
    const external = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await idp.token({ email: local.email })))
      .expect(200);
    expect(external.body.id).not.toBe(local.id);
    // The local account still logs in as itself.
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: local.email, password: local.password }).expect(200);
    expect(login.body.user.id).toBe(local.id);
  });

  it('says an expired token has expired, whichever strategy it was meant for', async () => {
    const res = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 5 })));
    expect(expectProblem(res, 401, 'unauthorized').detail).toMatch(/expired/);
  });
});

describe('shared-secret tokens (OIDC_HS256_SECRET, Supabase legacy)', () => {
  const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
  const ISSUER = 'https://project-ref.supabase.co/auth/v1';
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: ISSUER,
      OIDC_AUDIENCE: 'authenticated',
      OIDC_HS256_SECRET: SECRET,
      OIDC_NAME_CLAIM: 'user_metadata.full_name',
      OIDC_ROLES_CLAIM: 'app_metadata.roles',
    });
  });
  afterAll(() => t.close());

  const supabaseToken = (secret: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ role: 'authenticated', user_metadata: { full_name: 'Ada L' }, app_metadata: { roles: ['admin'] }, ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(randomUUID())
      .setIssuer(ISSUER)
      .setAudience('authenticated')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));

  it('accepts tokens signed with the shared secret, reading the name and roles where Supabase puts them', async () => {
    const res = await request(t.server)
      .get(`${API}/users/me`)
      .set(bearer(await supabaseToken(SECRET)))
      .expect(200);
    expect(res.body).toMatchObject({ display_name: 'Ada L', role: 'admin' });
  });

  it('refuses tokens signed with another secret, and asymmetric ones (no JWKS is configured)', async () => {
    const wrong = await supabaseToken('another-secret-that-is-also-at-least-32-chars');
    expectProblem(await request(t.server).get(`${API}/users/me`).set(bearer(wrong)), 401, 'unauthorized');
    const idp = await new FakeIdp().start();
    try {
      const rs256 = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256', kid: idp.keys[0]!.kid })
        .setIssuer(ISSUER)
        .setAudience('authenticated')
        .setExpirationTime('5m')
        .sign(idp.keys[0]!.privateKey);
      expectProblem(await request(t.server).get(`${API}/users/me`).set(bearer(rs256)), 401, 'unauthorized');
    } finally {
      await idp.stop();
    }
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, expectProblem, registerUser, uniqueEmail } from './support/factories.js';
import { forgeJwt } from './support/jwt.js';
import { createTestApp, testPool, type TestApp } from './support/test-app.js';
import { validateEnv } from '../src/config/env.js';
import { TEST_JWT_SECRET, testEnv } from './support/test-env.js';

describe('auth', () => {
  let t: TestApp;
  const db = testPool();

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  describe('register', () => {
    it('creates the user, returns a token pair and stores only a hash of the password', async () => {
      const email = uniqueEmail('Ada');
      const res = await request(t.server)
        .post(`${API}/auth/register`)
        .send({ email: `  ${email.toUpperCase()} `, password: 'correct horse battery', display_name: 'Ada' })
        .expect(201);
      expect(res.body).toEqual({
        user: {
          id: expect.any(String),
          email: email.toLowerCase(),
          display_name: 'Ada',
          avatar_url: null,
          role: 'user',
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refresh_token: expect.stringMatching(/^[0-9a-f-]{36}\.[\w-]{43}$/),
        token_type: 'Bearer',
        expires_in: 900,
      });
      const { rows } = await db.query('SELECT password_hash FROM users WHERE id = $1', [res.body.user.id]);
      expect(rows[0].password_hash).toMatch(/^scrypt\$/);
      expect(rows[0].password_hash).not.toContain('correct horse battery');
      const tokens = await db.query('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [res.body.user.id]);
      expect(tokens.rows).toEqual([{ token_hash: expect.not.stringContaining(res.body.refresh_token) }]);
      expect(res.body.refresh_token.startsWith(`${res.body.user.id}.`)).toBe(true);
    });

    it('refuses a second account for the same email in any letter case', async () => {
      const user = await registerUser(t);
      const res = await request(t.server)
        .post(`${API}/auth/register`)
        .send({ email: user.email.toUpperCase(), password: 'another password' });
      expectProblem(res, 409, 'email_taken');
    });

    it.each([
      [{ email: 'not-an-email', password: 'correct horse' }, 'email'],
      [{ email: uniqueEmail(), password: 'short' }, 'password'],
      [{ email: uniqueEmail(), password: 'x'.repeat(129) }, 'password'],
      [{ email: uniqueEmail(), password: 12345678 }, 'password'],
      [{ email: uniqueEmail(), password: 'correct horse', role: 'admin' }, 'role'],
      [{ email: uniqueEmail(), password: 'correct horse', display_name: '' }, 'display_name'],
    ])('rejects %j naming the field %s, and stores nothing', async (body, field) => {
      const res = await request(t.server).post(`${API}/auth/register`).send(body);
      const problem = expectProblem(res, 400, 'validation_failed');
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      if (typeof body.email === 'string') {
        const { rowCount } = await db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
        expect(rowCount).toBe(0);
      }
    });
  });

  describe('login', () => {
    it('returns a fresh token pair for the right password', async () => {
      const user = await registerUser(t);
      const res = await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
      expect(res.body.user.id).toBe(user.id);
      await request(t.server).get(`${API}/users/me`).set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
    });

    it('answers a wrong password and an unknown email identically, after similar work', async () => {
      const user = await registerUser(t);
      const timed = async (email: string) => {
        const started = performance.now();
        const res = await request(t.server).post(`${API}/auth/login`).send({ email, password: 'wrong password!' });
        return { res, ms: performance.now() - started };
      };
      const wrong = await timed(user.email);
      const unknown = await timed(uniqueEmail('nobody'));
      expectProblem(wrong.res, 401, 'invalid_credentials');
      expectProblem(unknown.res, 401, 'invalid_credentials');
      expect(unknown.res.body).toEqual(wrong.res.body);
      // Both ran the password hash (~0.25 s); a skipped hash would answer in a few milliseconds.
      expect(unknown.ms).toBeGreaterThan(wrong.ms * 0.4);
    });
  });

  describe('refresh tokens', () => {
    it('rotates: the new pair works and the old refresh token is used up', async () => {
      const user = await registerUser(t);
      const first = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }).expect(200);
      expect(first.body.refresh_token).not.toBe(user.refreshToken);
      await request(t.server).get(`${API}/users/me`).set('Authorization', `Bearer ${first.body.access_token}`).expect(200);
      const second = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: first.body.refresh_token }).expect(200);
      expect(second.body.user.id).toBe(user.id);
    });

    it('revokes the whole family when a used token is presented again', async () => {
      const user = await registerUser(t);
      const rotated = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }).expect(200);

      const replay = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken });
      expectProblem(replay, 401, 'unauthorized');
      // The legitimate successor dies with it: whoever holds a copy of the chain must log in again.
      const successor = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: rotated.body.refresh_token });
      expectProblem(successor, 401, 'unauthorized');
      const { rows } = await db.query('SELECT count(*)::int AS live FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [
        user.id,
      ]);
      expect(rows[0].live).toBe(0);
    });

    it('leaves other logins of the same user alone when one family is revoked', async () => {
      const user = await registerUser(t);
      const other = await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
      await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }).expect(200);
      await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }).expect(401);
      await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: other.body.refresh_token }).expect(200);
    });

    it('refuses unknown and malformed refresh tokens', async () => {
      expectProblem(await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: 'nope' }), 401, 'unauthorized');
      expectProblem(await request(t.server).post(`${API}/auth/refresh`).send({}), 400, 'validation_failed');
    });

    it('refuses a token under another user id: a token is looked up only under the user it names', async () => {
      const [alice, bob] = [await registerUser(t), await registerUser(t)];
      const secret = alice.refreshToken.slice(alice.refreshToken.indexOf('.'));
      expectProblem(
        await request(t.server)
          .post(`${API}/auth/refresh`)
          .send({ refresh_token: `${bob.id}${secret}` }),
        401,
        'unauthorized',
      );
      await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: alice.refreshToken }).expect(200);
    });
  });

  describe('logout', () => {
    it('revokes the refresh token of this login', async () => {
      const user = await registerUser(t);
      await request(t.server).post(`${API}/auth/logout`).set(user.auth).send({ refresh_token: user.refreshToken }).expect(204);
      expectProblem(await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }), 401, 'unauthorized');
    });

    it("cannot revoke another user's token", async () => {
      const [alice, mallory] = [await registerUser(t), await registerUser(t)];
      await request(t.server).post(`${API}/auth/logout`).set(mallory.auth).send({ refresh_token: alice.refreshToken }).expect(204);
      await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: alice.refreshToken }).expect(200);
    });

    it('needs an access token', async () => {
      expectProblem(await request(t.server).post(`${API}/auth/logout`).send({ refresh_token: 'x' }), 401, 'unauthorized');
    });
  });

  describe('access tokens', () => {
    const now = () => Math.floor(Date.now() / 1000);
    let userId: string;
    const valid = () => ({ sub: userId, role: 'user', iss: 'chat-history-service', aud: 'chat-history-api', iat: now(), exp: now() + 300 });

    beforeAll(async () => {
      userId = (await registerUser(t)).id;
    });

    it('accepts a correctly signed token (control for the forgeries below)', async () => {
      await request(t.server)
        .get(`${API}/users/me`)
        .set('Authorization', `Bearer ${forgeJwt(valid(), { secret: TEST_JWT_SECRET })}`)
        .expect(200);
    });

    it.each([
      ['alg none', () => forgeJwt(valid(), { alg: 'none' })],
      ['a wrong key', () => forgeJwt(valid(), { secret: 'some-other-secret-that-is-long-enough' })],
      ['HS512 instead of the pinned HS256', () => forgeJwt(valid(), { secret: TEST_JWT_SECRET, alg: 'HS512' })],
      ['expiry in the past', () => forgeJwt({ ...valid(), exp: now() - 10 }, { secret: TEST_JWT_SECRET })],
      ['no exp claim', () => forgeJwt({ ...valid(), exp: undefined }, { secret: TEST_JWT_SECRET })],
      ['a wrong audience', () => forgeJwt({ ...valid(), aud: 'someone-else' }, { secret: TEST_JWT_SECRET })],
      ['a wrong issuer', () => forgeJwt({ ...valid(), iss: 'evil' }, { secret: TEST_JWT_SECRET })],
      ['a subject that is not a user id', () => forgeJwt({ ...valid(), sub: 'admin' }, { secret: TEST_JWT_SECRET })],
      ['an unknown role', () => forgeJwt({ ...valid(), role: 'root' }, { secret: TEST_JWT_SECRET })],
      ['garbage', () => 'not.a.jwt'],
    ])('refuses a token with %s', async (_name, token) => {
      const res = await request(t.server).get(`${API}/users/me`).set('Authorization', `Bearer ${token()}`);
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('refuses requests without a bearer token', async () => {
      expectProblem(await request(t.server).get(`${API}/users/me`), 401, 'unauthorized');
      expectProblem(await request(t.server).get(`${API}/users/me`).set('Authorization', 'Basic dXNlcjpwYXNz'), 401, 'unauthorized');
    });

    it('says so when the token has expired', async () => {
      const res = await request(t.server)
        .get(`${API}/users/me`)
        .set('Authorization', `Bearer ${forgeJwt({ ...valid(), exp: now() - 10 }, { secret: TEST_JWT_SECRET })}`);
      expect(expectProblem(res, 401, 'unauthorized').detail).toMatch(/expired/);
    });
  });
});

describe('auth rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The test client (127.0.0.1) is the one proxy hop trusted: X-Forwarded-For's last entry is the client.
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  const randomIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const attempt = (app: TestApp, forwardedFor: string) =>
    request(app.server).post(`${API}/auth/refresh`).set('X-Forwarded-For', forwardedFor).send({ refresh_token: randomUUID() });

  it('answers 429 rate_limited with Retry-After once a client IP spends its budget', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expect((await attempt(t, ip)).status).toBe(401);
    const limited = await attempt(t, ip);
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another client is not affected.
    expect((await attempt(t, '192.0.2.77')).status).toBe(401);
  });

  it('ignores what the client itself put in X-Forwarded-For before the trusted hop', async () => {
    const ip = randomIp();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(t, `${randomIp()}, ${ip}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('a client that is not a trusted proxy cannot choose its IP by rotating X-Forwarded-For', async () => {
    const behindProxies = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await attempt(behindProxies, randomIp())).status);
      // All five come from 127.0.0.1 as far as the limit is concerned, whatever they claim.
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await behindProxies.close();
    }
  });

  it.each([['true'], ['yes'], ['10.0.0.0/33'], ['1.2.3']])('refuses TRUST_PROXY=%s at start, naming the safe forms', (value) => {
    expect(() => validateEnv(testEnv({ TRUST_PROXY: value }))).toThrow(/TRUST_PROXY must be false, the number of proxies/);
  });
});

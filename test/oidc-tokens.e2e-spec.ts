import { SignJWT, UnsecuredJWT } from 'jose';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { API, expectProblem } from './support/factories.js';
import { FakeIdp, publicPem, signingKey } from './support/fake-idp.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const me = (t: TestApp, token: string) => request(t.server).get(`${API}/users/me`).set('Authorization', `Bearer ${token}`);

describe('external tokens (AUTH_MODE=oidc)', () => {
  const idp = new FakeIdp();
  let t: TestApp;

  beforeAll(async () => {
    await idp.start();
    // Discovery, not OIDC_JWKS_URI: the service finds the JWKS from the issuer.
    t = await createTestApp(idp.settings({ OIDC_JWKS_COOLDOWN_MS: '60000' }));
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
  });

  it('finds the keys through discovery once, and accepts RS256 and ES256 tokens', async () => {
    await me(t, await idp.token()).expect(200);
    await me(t, await idp.token({}, { key: idp.keys[1] })).expect(200);
    // The forgeries below differ from this one in one claim each.
    await me(t, await sign({})).expect(200);
    expect(idp.fetches).toEqual({ discovery: 1, jwks: 1 });
  });

  const forgeries: [string, () => Promise<string>][] = [
    ['a wrong issuer', () => sign({ iss: 'https://evil.example/realms/test' })],
    ['a wrong audience', () => sign({ aud: 'another-api' })],
    ['no audience', () => sign({ aud: undefined })],
    ['alg none', async () => new UnsecuredJWT({ sub: 'x', iss: idp.issuer, aud: idp.audience }).setExpirationTime('5m').encode()],
    ['HS256 keyed with the public key', async () => hs256(new TextEncoder().encode(await publicPem(idp.keys[0]!)), idp.keys[0]!.kid)],
    ['an expiry in the past', () => idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['no expiry', () => sign({ exp: undefined })],
    ['no subject', () => sign({ sub: undefined })],
    ['a subject too long to be one', () => idp.token({ sub: 's'.repeat(256) })],
    ['a key the provider never published', async () => idp.token({}, { key: await signingKey('RS256', idp.keys[0]!.kid) })],
  ];

  it.each(forgeries)('refuses a token with %s (401 problem)', async (_name, forge) => {
    const res = await me(t, await forge());
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('says so when the token has expired', async () => {
    const res = await me(t, await idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 1 }));
    expect(expectProblem(res, 401, 'unauthorized').detail).toMatch(/expired/);
  });

  it('refuses unknown kids after one refetch per cooldown, however many arrive', async () => {
    const before = idp.fetches.jwks;
    const stranger = await signingKey('RS256', 'unknown-kid');
    for (let i = 0; i < 5; i++) expectProblem(await me(t, await idp.token({}, { key: stranger })), 401, 'unauthorized');
    expect(idp.fetches.jwks - before).toBeLessThanOrEqual(1);
  });

  it('refuses local tokens: in oidc mode only the provider signs', async () => {
    const local = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('0b7d5a7e-5a43-4a51-9f5e-3f2d4c1b2a10')
      .setIssuer('chat-history-service')
      .setAudience('chat-history-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'));
    expectProblem(await me(t, local), 401, 'unauthorized');
  });

  /** A token like the provider's, with claims replaced (undefined removes one). */
  async function sign(claims: Record<string, unknown>): Promise<string> {
    const key = idp.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const payload = Object.fromEntries(
      Object.entries({ sub: 'someone', iss: idp.issuer, aud: idp.audience, iat: now, exp: now + 300, ...claims }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
  }

  function hs256(secret: Uint8Array, kid: string): Promise<string> {
    return new SignJWT({ sub: 'someone' })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setExpirationTime('5m')
      .sign(secret);
  }
});

describe('key rotation (OIDC_JWKS_URI)', () => {
  const idp = new FakeIdp();
  const COOLDOWN_MS = 1500;
  let t: TestApp;

  beforeAll(async () => {
    await idp.start();
    t = await createTestApp(idp.settings({ OIDC_JWKS_URI: idp.jwksUri, OIDC_JWKS_COOLDOWN_MS: String(COOLDOWN_MS) }));
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
  });

  it('picks up a new kid by refetching, and stops accepting the removed key', async () => {
    const old = idp.keys[0]!;
    await me(t, await idp.token({}, { key: old })).expect(200);
    expect(idp.fetches).toEqual({ discovery: 0, jwks: 1 });

    const next = await signingKey('RS256');
    idp.keys = [next];
    await sleep(COOLDOWN_MS + 100);
    await me(t, await idp.token({}, { key: next })).expect(200);
    expect(idp.fetches.jwks).toBe(2);

    await sleep(COOLDOWN_MS + 100);
    expectProblem(await me(t, await idp.token({}, { key: old })), 401, 'unauthorized');
    expect(idp.fetches.jwks).toBe(3);
  });

  it('answers 503, not 401, while the provider cannot give its keys', async () => {
    idp.failWith = 503;
    await sleep(COOLDOWN_MS + 100);
    try {
      const res = await me(t, await idp.token({}, { key: await signingKey('RS256') }));
      expectProblem(res, 503, 'service_unavailable');
    } finally {
      idp.failWith = undefined;
    }
  });
});

import { API, registerUser, uniqueEmail } from './support/factories.js';
import { call } from './support/http.js';
import { appWithFakeLlm, type TestApp } from './support/test-app.js';

const ADMIN_PASSWORD = 'admin password 1';
const adminEmail = uniqueEmail('admin');

/** A slow model call for `userId`, made by the API key (the chat turn holds its slots until the reply). */
async function chatAs(url: string, key: string, userId: string) {
  const res = await fetch(`${url}${API}/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'x-on-behalf-of': userId, 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'slow turn' }),
  });
  await res.text();
  return res.status;
}

describe('fair shares of an API key', () => {
  const { fake, app } = appWithFakeLlm({ PER_USER_CONCURRENCY: '2', PER_USER_QUEUE_MS: '100', ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD });
  let t: TestApp & { url: string };
  let key: string;

  beforeAll(async () => {
    t = app();
    const login = await fetch(`${t.url}${API}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: adminEmail, password: ADMIN_PASSWORD }),
    });
    const admin = (await login.json()) as { access_token: string };
    key = (await call(t.url, 'POST', `${API}/admin/api-keys`, admin.access_token, { name: 'gateway', scopes: ['act_as_user'] })).body.key;
    fake.script = { kind: 'stream', chunks: ['slow'], delayMs: 1500, usage: { prompt_tokens: 1, completion_tokens: 1 } };
  });

  it('gives the key its own share: acting for several users it holds at most PER_USER_CONCURRENCY at once', async () => {
    const [bob, carol, other] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    const calls = [chatAs(t.url, key, bob.id), chatAs(t.url, key, bob.id), chatAs(t.url, key, carol.id)];
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Another caller is not held up by the key's flood.
    expect((await call(t.url, 'GET', `${API}/sessions`, other.accessToken)).status).toBe(200);
    expect((await Promise.all(calls)).sort()).toEqual([201, 201, 429]);
  });

  it("still holds the acting user's limit: the key's calls take that user's slots", async () => {
    const dave = await registerUser(t);
    const viaKey = chatAs(t.url, key, dave.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const own = [
      call(t.url, 'POST', `${API}/chat`, dave.accessToken, { message: 'own 1' }),
      call(t.url, 'POST', `${API}/chat`, dave.accessToken, { message: 'own 2' }),
    ];
    const statuses = [await viaKey, ...(await Promise.all(own)).map((r) => r.status)];
    expect(statuses.sort()).toEqual([201, 201, 429]);
  });

  it("does not let a busy user hold the key's slots: the key's calls for other users go on", async () => {
    const [busy, erin] = [await registerUser(t), await registerUser(t)];
    const own = [
      call(t.url, 'POST', `${API}/chat`, busy.accessToken, { message: 'own 1' }),
      call(t.url, 'POST', `${API}/chat`, busy.accessToken, { message: 'own 2' }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 200));
    // All wait for the busy user's slots (and give up); none may sit on one of the key's two meanwhile.
    const forBusy = [1, 2, 3, 4].map(() => chatAs(t.url, key, busy.id));
    const forErin = [chatAs(t.url, key, erin.id), chatAs(t.url, key, erin.id)];
    expect(await Promise.all(forErin)).toEqual([201, 201]);
    expect(await Promise.all(forBusy)).toEqual([429, 429, 429, 429]);
    expect((await Promise.all(own)).map((r) => r.status)).toEqual([201, 201]);
  });
});

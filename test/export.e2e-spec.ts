import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import request from 'supertest';
import { ExportRepository } from '../src/export/export.repository.js';
import { API, expectProblem, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { ndjsonLines, rawGet } from './support/export-client.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Batches of 2: this small account already takes several statements of every kind, and crosses their seams. */
const TINY_BATCHES = { EXPORT_BATCH_SIZE: '2' };

describe('GET /users/me/export', () => {
  const adminEmail = uniqueEmail('export-admin');
  let t: TestApp & { url: string };
  let admin: TestUser;
  let user: TestUser;
  let visible: string[];

  const api = (u: TestUser) => ({
    post: (path: string, body: object = {}) => request(t.server).post(`${API}${path}`).set(u.auth).send(body),
    get: (path: string) => request(t.server).get(`${API}${path}`).set(u.auth),
    delete: (path: string) => request(t.server).delete(`${API}${path}`).set(u.auth),
  });
  const exportOf = (u: TestUser, headers: Record<string, string> = {}, path = '/users/me/export') =>
    rawGet(t.url, path, { authorization: `Bearer ${u.accessToken}`, ...headers });

  /** A session with these messages (appended in one batch); returns its id. */
  async function session(u: TestUser, fields: object, messages: object[]): Promise<string> {
    const { id } = (await api(u).post('/sessions', fields).expect(201)).body;
    if (messages.length > 0) await api(u).post(`/sessions/${id}/messages/batch`, { messages }).expect(201);
    return id;
  }

  beforeAll(async () => {
    t = await startTestApp({ ...TINY_BATCHES, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'admin password 1' });
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
    admin = { ...login.body.user, accessToken: login.body.access_token, auth: { Authorization: `Bearer ${login.body.access_token}` } };
    user = await registerUser(t, { display_name: 'Ada' });
    const reply = (content: string, model?: string) => ({
      role: 'assistant',
      content,
      model,
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    });
    const big = await session(user, { title: 'big', project_id: 'p-1', metadata: { source: 'web' } }, [
      { role: 'user', content: 'one ✓ "quoted"\nline' },
      reply('two', 'model-b'),
      { role: 'system', content: 'three', metadata: { k: [1, 2] } },
      reply('four', 'model-a'),
      reply('five'),
    ]);
    const cleared = await session(user, { title: 'cleared' }, [{ role: 'user', content: 'gone 1' }, reply('gone 2')]);
    await api(user).delete(`/sessions/${cleared}/messages`).expect(204);
    await api(user).post(`/sessions/${cleared}/messages`, { role: 'user', content: 'after the clear' }).expect(201);
    const softDeleted = await session(user, { title: 'soft-deleted' }, [{ role: 'user', content: 'hidden soft' }]);
    await api(user).delete(`/sessions/${softDeleted}`).expect(204);
    const erased = await session(user, { title: 'erased' }, [{ role: 'user', content: 'hidden erased' }]);
    await api(user).delete(`/sessions/${erased}?permanent=true`).expect(204);
    const empty = await session(user, { title: 'empty', agent_type: 'research' }, []);
    visible = [big, cleared, empty];
    const other = await registerUser(t);
    await session(other, { title: 'not yours' }, [{ role: 'user', content: 'hidden other user' }]);
  });
  afterAll(() => t.close());

  it('streams the account, each visible session with its visible messages, then usage: the API’s fields in its order', async () => {
    const res = await exportOf(user);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers).toMatchObject({ vary: 'Accept-Encoding', 'cache-control': 'no-store', 'transfer-encoding': 'chunked' });
    const lines = ndjsonLines(res.body);

    const me = (await api(user).get('/users/me').expect(200)).body;
    const expected: object[] = [{ type: 'user', version: 1, ...me }];
    const sessions = await Promise.all(visible.map(async (id) => (await api(user).get(`/sessions/${id}?include_messages=false`)).body));
    sessions.sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1));
    for (const { messages: _, ...fields } of sessions) {
      expected.push({ type: 'session', ...fields });
      const history = (await api(user).get(`/sessions/${fields.id}/messages?page_size=200`)).body.data as object[];
      expected.push(...history.map((message) => ({ type: 'message', ...message })));
    }
    const byModel = (await api(user).get('/usage?group_by=model').expect(200)).body.buckets as { key: string | null }[];
    const today = new Date().toISOString().slice(0, 10);
    const usage = byModel
      .map(({ key, ...counts }) => ({ type: 'usage', date: today, agent_type: 'primary', model: key, ...counts }))
      .sort((a, b) => (a.model === null ? -1 : b.model === null ? 1 : a.model < b.model ? -1 : 1));
    expected.push(...usage);

    expect(lines).toEqual(expected);
    // Same keys in the same order as the responses (toEqual ignores order).
    expect(lines.map((line) => Object.keys(line))).toEqual(expected.map((line) => Object.keys(line)));
    expect(lines.filter((l) => l.type === 'message').map((l) => [l.seq, l.content])).toEqual([
      [1, 'one ✓ "quoted"\nline'],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
      [3, 'after the clear'],
    ]);
    // Usage is the rollup: messages of deleted sessions and cleared histories were spent and stay counted.
    expect(usage.map((u) => u.model)).toEqual([null, 'model-a', 'model-b']);
    expect(usage.reduce((n, u) => n + (u as unknown as { messages: number }).messages, 0)).toBe(10);
    expect(res.body.toString()).not.toMatch(/hidden|gone \d|not yours|password|scrypt/);
  });

  it('gives the same bytes every time, and gzip of the same bytes when asked', async () => {
    const plain = await exportOf(user);
    expect((await exportOf(user)).body.equals(plain.body)).toBe(true);
    for (const acceptEncoding of ['gzip', 'gzip, deflate, br', 'br;q=1, gzip;q=0.5', '*', 'GZip']) {
      const zipped = await exportOf(user, { 'accept-encoding': acceptEncoding });
      expect(zipped.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    }
    for (const acceptEncoding of ['identity', 'gzip;q=0, identity', 'br', 'gzip;q=0.1, identity;q=0.5', '']) {
      const res = await exportOf(user, { 'accept-encoding': acceptEncoding });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.equals(plain.body)).toBe(true);
    }
  });

  it('HEAD answers the headers and reads nothing', async () => {
    const reads = jest.spyOn(t.app.get(ExportRepository), 'sessions');
    try {
      const head = await rawGet(t.url, '/users/me/export', { authorization: `Bearer ${user.accessToken}` }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(head.body.length).toBe(0);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('lets an admin export any user, the same bytes as their own export', async () => {
    const own = await exportOf(user);
    const byAdmin = await exportOf(admin, {}, `/users/${user.id}/export`);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.equals(own.body)).toBe(true);
    expect(ndjsonLines((await exportOf(admin)).body)[0]).toMatchObject({ type: 'user', id: admin.id, role: 'admin' });
  });

  it('refuses without a token (401), for a non-admin (403), an unknown or erased user (404), a bad id (400)', async () => {
    const parse = (res: { status: number; headers: Record<string, unknown>; body: Buffer }) => ({
      ...res,
      body: JSON.parse(res.body.toString()),
    });
    const problem = (res: Awaited<ReturnType<typeof rawGet>>, status: number, code: string) =>
      expectProblem(parse(res) as unknown as request.Response, status, code);
    problem(await rawGet(t.url, '/users/me/export'), 401, 'unauthorized');
    problem(await rawGet(t.url, `/users/${user.id}/export`), 401, 'unauthorized');
    problem(await exportOf(user, {}, `/users/${admin.id}/export`), 403, 'forbidden');
    problem(await exportOf(admin, {}, `/users/${randomUUID()}/export`), 404, 'user_not_found');
    problem(await exportOf(admin, {}, '/users/not-a-uuid/export'), 400, 'validation_failed');
    const leaving = await registerUser(t);
    await api(leaving).delete('/users/me').expect(204);
    problem(await exportOf(admin, {}, `/users/${leaving.id}/export`), 404, 'user_not_found');
    problem(await exportOf(leaving), 401, 'unauthorized');
  });
});

import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const manyKeys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1]));

/** A request over a real socket, for what supertest cannot send (odd methods, oversized headers). */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string; body: Record<string, unknown> }>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hostile input', () => {
  let t: TestApp & { url: string };
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
  });
  afterAll(() => t.close());

  describe('shape limits, before any transformation', () => {
    it.each([
      ['POST /auth/login', `${API}/auth/login`, { email: 'a@example.com', password: 'correct horse', ...manyKeys(90_000) }],
      ['session metadata', `${API}/sessions`, { metadata: manyKeys(90_000) }],
    ])('refuses 90,000 keys (%s) at once, in a small answer', async (_label, path, body) => {
      const text = JSON.stringify(body);
      expect(text.length).toBeGreaterThan(900_000);
      const started = performance.now();
      const res = await request(t.server).post(path).set(user.auth).set('Content-Type', 'application/json').send(text);
      // Before the limits this took 15 s; the bound leaves room for a busy CI machine.
      expect(performance.now() - started).toBeLessThan(500);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([
        { field: '(body)', message: 'must not hold an object of more than 1000 fields' },
      ]);
      expect(res.text.length).toBeLessThan(1000);
    });

    it.each([
      ['a long array', { metadata: { list: Array(1001).fill(0) } }, 'must not hold an array of more than 1000 items'],
      [
        'many values in all',
        { metadata: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`a${i}`, manyKeys(900)])) },
        'must not hold more than 5000 values in all',
      ],
      ['deep nesting', { metadata: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }, 'must not nest deeper than 32 levels'],
    ])('refuses %s', async (_label, body, message) => {
      const res = await request(t.server).post(`${API}/sessions`).set(user.auth).send(body);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ field: '(body)', message }]);
    });

    it('lists at most 20 field errors, and says how many there were', async () => {
      const res = await request(t.server).post(`${API}/sessions`).set(user.auth).send(manyKeys(300));
      const problem = expectProblem(res, 400, 'validation_failed');
      expect(problem.errors).toHaveLength(20);
      expect(problem.detail).toMatch(/first 20 of 300/);
    });

    it('still accepts what is within the limits, strings inside values included', async () => {
      const metadata = { ...manyKeys(999), note: 'a "quoted" {not [a] container}, \\ and more' };
      await request(t.server).post(`${API}/sessions`).set(user.auth).send({ metadata }).expect(201);
    });
  });

  describe('no 500 from input', () => {
    let sessionId: string;
    let messageId: string;

    beforeAll(async () => {
      sessionId = (await request(t.server).post(`${API}/sessions`).set(user.auth).send({}).expect(201)).body.id;
      const appended = await request(t.server)
        .post(`${API}/sessions/${sessionId}/messages`)
        .set(user.auth)
        .send({ role: 'user', content: 'hi' })
        .expect(201);
      messageId = appended.body.id;
    });

    it.each([
      ['post', (): string => `${API}/sessions`, { title: null }, 'title'],
      ['post', (): string => `${API}/sessions`, { metadata: null }, 'metadata'],
      ['patch', (): string => `${API}/sessions/${sessionId}`, { metadata: null }, 'metadata'],
      ['put', (): string => `${API}/sessions/${sessionId}`, { metadata: null }, 'metadata'],
      ['patch', (): string => `${API}/messages/${messageId}`, { content: null }, 'content'],
      [
        'post',
        () => `${API}/sessions/${sessionId}/messages/batch`,
        { messages: [{ role: 'user', content: 'x', metadata: null }] },
        'messages[0].metadata',
      ],
    ] as const)('%s %s with %j: 400 naming the field', async (method, path, body, field) => {
      const res = await request(t.server)[method](path()).set(user.auth).send(body);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ field, message: `${field} must not be null` }]);
    });

    it('null still clears the fields that document it', async () => {
      const res = await request(t.server)
        .patch(`${API}/sessions/${sessionId}`)
        .set(user.auth)
        .send({ title: null, project_id: null })
        .expect(200);
      expect(res.body).toMatchObject({ title: null, project_id: null });
      await request(t.server).patch(`${API}/users/me`).set(user.auth).send({ display_name: null }).expect(200);
    });

    it.each([['login'], ['register']])('a lone surrogate in the %s email is a 400 naming the field', async (route) => {
      const res = await request(t.server)
        .post(`${API}/auth/${route}`)
        .set('Content-Type', 'application/json')
        .send('{"email":"\\ud800","password":"correct horse"}');
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([
        { field: 'email', message: expect.stringMatching(/lone surrogate/) },
      ]);
    });

    it('names a lone surrogate deep in metadata, and in a field name', async () => {
      const res = await request(t.server)
        .post(`${API}/sessions`)
        .set(user.auth)
        .set('Content-Type', 'application/json')
        .send('{"metadata":{"tags":["ok","\\udc00"],"\\ud83d":1}}');
      const fields = expectProblem(res, 400, 'validation_failed').errors?.map((e) => e.field);
      expect(fields?.sort()).toEqual(['metadata.tags[1]', 'metadata.\ud83d'].sort());
    });
  });

  describe('token responses', () => {
    it('carry Cache-Control: no-store on register, login and refresh', async () => {
      const registered = await request(t.server)
        .post(`${API}/auth/register`)
        .send({ email: `c${Date.now()}@example.com`, password: 'correct horse battery' })
        .expect(201);
      const login = await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
      const refreshed = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: login.body.refresh_token }).expect(200);
      for (const res of [registered, login, refreshed]) expect(res.headers['cache-control']).toBe('no-store');
    });
  });

  describe('errors Fastify and Node answer themselves', () => {
    it.each([['TRACE'], ['QUERY'], ['PROPFIND'], ['MKCOL']])('%s: 405 method_not_allowed as problem+json', async (method) => {
      const res = await raw(t.url, method, `${API}/sessions`);
      expect(res).toMatchObject({
        status: 405,
        type: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'method_not_allowed' },
      });
    });

    it('CONNECT, which Node keeps from the app: 405 method_not_allowed as problem+json', async () => {
      const { port } = new URL(t.url);
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = net.connect(Number(port), '127.0.0.1', () =>
          socket.write('CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\n'),
        );
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(answer.split('\r\n\r\n')[1])).toMatchObject({ status: 405, code: 'method_not_allowed' });
    });

    it('a method Node cannot parse: 400 bad_request as problem+json', async () => {
      const res = await raw(t.url, 'FROB', `${API}/sessions`);
      expect(res).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'bad_request' } });
    });

    it('an over-long URL: 414 uri_too_long; over 16 KiB of headers: 431 header_too_large', async () => {
      const long = await raw(t.url, 'GET', `${API}/sessions?q=${'a'.repeat(9000)}`);
      expect(long).toMatchObject({
        status: 414,
        type: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'uri_too_long' },
      });
      const huge = await raw(t.url, 'GET', `${API}/sessions?q=${'a'.repeat(20_000)}`);
      expect(huge).toMatchObject({
        status: 431,
        type: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'header_too_large' },
      });
      const header = await raw(t.url, 'GET', '/health/live', { 'X-Padding': 'a'.repeat(20_000) });
      expect(header).toMatchObject({ status: 431, body: { code: 'header_too_large' } });
    });
  });
});

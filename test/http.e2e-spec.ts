import request from 'supertest';
import { API, expectProblem, registerUser } from './support/factories.js';
import { createTestApp, type TestApp } from './support/test-app.js';

describe('HTTP conventions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT: '4096', CORS_ORIGINS: 'https://app.example' });
  });
  afterAll(() => t.close());

  describe('problem+json for malformed requests', () => {
    it('400 invalid_json for a broken body', async () => {
      const res = await request(t.server).post(`${API}/auth/login`).set('Content-Type', 'application/json').send('{"email": ');
      expectProblem(res, 400, 'invalid_json');
      expect(res.body.instance).toBe(`${API}/auth/login`);
    });

    it('400 invalid_json for a declared but empty JSON body', async () => {
      const res = await request(t.server).post(`${API}/auth/login`).set('Content-Type', 'application/json').send('');
      expectProblem(res, 400, 'invalid_json');
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml']])('415 for %s', async (type) => {
      const res = await request(t.server).post(`${API}/auth/login`).set('Content-Type', type).send('email=a');
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('413 payload_too_large over BODY_LIMIT', async () => {
      const res = await request(t.server)
        .post(`${API}/auth/login`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(5000) }));
      expectProblem(res, 413, 'payload_too_large');
    });

    it.each([['[]'], ['"text"'], ['42'], ['null']])('400 validation_failed for the JSON value %s instead of an object', async (body) => {
      const res = await request(t.server).post(`${API}/auth/login`).set('Content-Type', 'application/json').send(body);
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ field: '(body)', message: expect.any(String) }]);
    });

    it('400 for bodies nested too deeply, instead of running out of stack', async () => {
      const user = await registerUser(t);
      const deepArray = `{"metadata":${'['.repeat(1_500)}${']'.repeat(1_500)}}`;
      const deepObject = `{"metadata":${'{"a":'.repeat(600)}1${'}'.repeat(600)}}`;
      for (const body of [deepArray, deepObject]) {
        const res = await request(t.server).post(`${API}/sessions`).set(user.auth).set('Content-Type', 'application/json').send(body);
        expect(expectProblem(res, 400, 'validation_failed').errors?.[0].message).toMatch(/nest deeper than 32/);
      }
      const fine = `{"metadata":${'{"a":'.repeat(30)}1${'}'.repeat(30)}}`;
      await request(t.server).post(`${API}/sessions`).set(user.auth).set('Content-Type', 'application/json').send(fine).expect(201);
    });

    it('404 not_found for unknown routes and methods', async () => {
      expectProblem(await request(t.server).get(`${API}/nothing-here`), 404, 'not_found');
      expectProblem(await request(t.server).put(`${API}/users/me`), 404, 'not_found');
      expectProblem(await request(t.server).get('/'), 404, 'not_found');
    });

    it('never answers 500 to odd query strings and paths', async () => {
      const user = await registerUser(t);
      for (const path of [
        `${API}/users?page=1&page=2`,
        `${API}/users?page_size=abc`,
        `${API}/users/%00`,
        `${API}/users/${'a'.repeat(5000)}`,
        `${API}/users?search[$ne]=1`,
      ]) {
        const res = await request(t.server).get(path).set(user.auth);
        expect({ path, status: res.status < 500 }).toEqual({ path, status: true });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });
  });

  describe('request ids', () => {
    it('echoes a given X-Request-Id and makes one up otherwise', async () => {
      const given = await request(t.server).get('/health/live').set('X-Request-Id', 'trace-abc.123:x');
      expect(given.headers['x-request-id']).toBe('trace-abc.123:x');
      const made = await request(t.server).get('/health/live');
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('replaces ids that could forge log lines', async () => {
      const res = await request(t.server).get('/health/live').set('X-Request-Id', 'a"b{"level":60}');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('carries the id on error responses too', async () => {
      const res = await request(t.server).get(`${API}/nope`).set('X-Request-Id', 'err-1');
      expect(res.headers['x-request-id']).toBe('err-1');
    });
  });

  describe('health', () => {
    it('is live and ready without a token', async () => {
      expect((await request(t.server).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
      const ready = await request(t.server).get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
    });
  });

  describe('security headers and CORS', () => {
    it('sets helmet headers', async () => {
      const res = await request(t.server).get('/health/live');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    });

    it('answers preflights for configured origins only', async () => {
      const allowed = await request(t.server)
        .options(`${API}/users/me`)
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
      expect(allowed.status).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      const denied = await request(t.server)
        .options(`${API}/users/me`)
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'GET');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('OpenAPI', () => {
    it('serves Swagger UI and the JSON document', async () => {
      const ui = await request(t.server).get('/docs').redirects(1).expect(200);
      expect(ui.text).toContain('swagger-ui');
      const doc = (await request(t.server).get('/docs-json').expect(200)).body;
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.components.schemas.ProblemDto).toBeDefined();
    });

    it('documents every route with a response schema, error responses and auth', async () => {
      const doc = (await request(t.server).get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      };
      const publicRoutes = new Set([
        '/health/live',
        '/health/ready',
        `/${API.slice(1)}/auth/register`,
        `/${API.slice(1)}/auth/login`,
        `/${API.slice(1)}/auth/refresh`,
      ]);
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ path, method, op })),
      );
      expect(operations.length).toBeGreaterThanOrEqual(13);
      for (const { path, method, op } of operations) {
        const statuses = Object.keys(op.responses);
        expect({ path, method, hasSuccess: statuses.some((s) => s.startsWith('2')) }).toEqual({ path, method, hasSuccess: true });
        if (!path.startsWith('/health')) expect({ path, method, has500: statuses.includes('500') }).toEqual({ path, method, has500: true });
        if (!publicRoutes.has(path)) {
          // An access token or an API key: either scheme alone is enough.
          expect({ path, method, security: op.security }).toEqual({ path, method, security: [{ bearer: [] }, { api_key: [] }] });
          expect({ path, method, has401: statuses.includes('401') }).toEqual({ path, method, has401: true });
        }
      }
    });
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { fuzzCases, type FuzzCase, type OpenApiDocument } from './support/fuzz-cases.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const CONCURRENCY = 4;
const ANSWER_WITHIN_MS = 1000;

interface Outcome {
  fuzz: FuzzCase;
  status: number;
  ms: number;
  problem: boolean;
}

/**
 * Schema-driven fuzzing of every operation in the service's own /docs-json (read at test time, so new routes
 * and fields are covered as the document grows): no answer is a 5xx, every 4xx is problem+json with a code,
 * and every answer comes within a second.
 */
describe('fuzzing every documented operation', () => {
  let t: TestApp & { url: string };
  let admin: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const adminEmail = uniqueEmail('fuzz-admin');
    t = await startTestApp({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'fuzz admin password' });
    const login = await request(t.server)
      .post(`${API}/auth/login`)
      .send({ email: adminEmail, password: 'fuzz admin password' })
      .expect(200);
    admin = { ...login.body.user, auth: { Authorization: `Bearer ${login.body.access_token}` } };
    const session = await request(t.server).post(`${API}/sessions`).set(admin.auth).send({ title: 'fuzz' }).expect(201);
    const message = await request(t.server)
      .post(`${API}/sessions/${session.body.id}/messages`)
      .set(admin.auth)
      .send({ role: 'user', content: 'hi' })
      .expect(201);
    ids.sessions = session.body.id;
    ids.messages = message.body.id;
    ids.users = (await registerUser(t)).id;
  });
  afterAll(() => t.close());

  const send = async (fuzz: FuzzCase): Promise<Outcome> => {
    const started = performance.now();
    let req = request(t.url)[fuzz.method.toLowerCase() as 'get'](fuzz.path).set(admin.auth);
    if (fuzz.body !== undefined) req = req.set('Content-Type', 'application/json').send(fuzz.body);
    const res = await req.ok(() => true);
    const ms = performance.now() - started;
    const problem =
      /^application\/problem\+json/.test(String(res.headers['content-type'])) &&
      typeof res.body.code === 'string' &&
      res.body.status === res.status;
    return { fuzz, status: res.status, ms, problem };
  };

  it('no 5xx, every 4xx is problem+json, every answer within a second', async () => {
    const doc = (await request(t.server).get('/docs-json').expect(200)).body as OpenApiDocument;
    // `/api/v1/sessions/{id}/…` → the spec's session; any other id → a random, valid-looking UUID.
    const cases = fuzzCases(doc, (template) => ids[template.replace(API, '').split('/')[1]] ?? randomUUID());
    expect(cases.length).toBeGreaterThan(500);

    const outcomes: Outcome[] = [];
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) outcomes.push(await send(next));
      }),
    );

    const describe = (o: Outcome) =>
      `${o.fuzz.method} ${o.fuzz.path.slice(0, 80)} [${o.fuzz.label}] → ${o.status} in ${o.ms.toFixed(0)} ms`;
    expect(outcomes.filter((o) => o.status >= 500).map(describe)).toEqual([]);
    expect(outcomes.filter((o) => o.status >= 400 && !o.problem && o.fuzz.method !== 'HEAD').map(describe)).toEqual([]);
    // Refusals must be cheap; a request that is accepted may hash a password (register, login) and wait its turn.
    expect(outcomes.filter((o) => o.status >= 400 && o.ms > ANSWER_WITHIN_MS).map(describe)).toEqual([]);
    const byClass = Object.groupBy(outcomes, (o) => `${Math.floor(o.status / 100)}xx`);
    process.stdout.write(
      `fuzz: ${outcomes.length} requests, ${Object.entries(byClass)
        .map(([k, v]) => `${k}: ${v!.length}`)
        .join(', ')}\n`,
    );
  }, 120_000);
});

import request from 'supertest';
import { API, expectProblem, registerUser } from './support/factories.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';

describe('database unavailable', () => {
  let t: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(testDatabaseUrl());
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const throughProxy = new URL(target);
    throughProxy.host = `127.0.0.1:${proxy.port}`;
    t = await createTestApp({ DATABASE_URL: throughProxy.toString(), DATABASE_CONNECT_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await t.close();
    await proxy.cut().catch(() => undefined);
  });

  it('answers 503 service_unavailable quickly while the database is gone, and recovers', async () => {
    const user = await registerUser(t);
    await request(t.server).get('/health/ready').expect(200);

    await proxy.cut();
    const started = performance.now();
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password });
    expectProblem(login, 503, 'service_unavailable');
    expect(JSON.stringify(login.body)).not.toMatch(/ECONN|terminated|127\.0\.0\.1|pg|postgres/i);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await request(t.server).get('/health/ready')).status).toBe(503);

    await proxy.restore();
    await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
    await request(t.server).get('/health/ready').expect(200);
  });
});

import request from 'supertest';
import { API, registerUser, uniqueEmail, type TestUser } from './support/factories.js';
import { startStreamingReplica, type StreamingReplica } from './support/streaming-replica.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { asAppRole, testRowSecurity } from './support/test-env.js';
import { provisionAppRole } from '../src/database/row-security/app-role.js';

/** Under TEST_DATABASE_RLS=on: the app's role on this primary, which the standby replays, for both URLs. */
async function appRoleOn(servers: StreamingReplica): Promise<Record<string, string>> {
  const appUrl = await provisionAppRole(servers.primaryUrl);
  await servers.caughtUp();
  return { DATABASE_APP_URL: appUrl, DATABASE_READ_URLS: asAppRole(servers.replicaUrl, appUrl) };
}

/**
 * DATABASE_READ_URLS against a real hot standby (initdb + pg_basebackup -R). With the standby's replay
 * paused, whatever was written since is on the primary only: a read that shows it came from the primary,
 * a read that misses it came from the replica.
 */
describe('read replicas (DATABASE_READ_URLS)', () => {
  let servers: StreamingReplica;
  let t: TestApp;
  let user: TestUser;
  let adminAuth: { Authorization: string };
  const adminEmail = uniqueEmail('replica-admin');
  const get = (path: string, auth = user.auth) => request(t.server).get(`${API}${path}`).set(auth).expect(200);
  const titles = async () => ((await get('/sessions?order_by=created_at&order=asc')).body.data as { title: string }[]).map((s) => s.title);

  beforeAll(async () => {
    servers = await startStreamingReplica();
    t = await createTestApp({
      DATABASE_URL: servers.primaryUrl,
      DATABASE_READ_URLS: servers.replicaUrl,
      ...(testRowSecurity() ? await appRoleOn(servers) : {}),
      MIGRATIONS_RUN: 'true',
      DEFAULT_DAILY_TOKEN_LIMIT: '1000',
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: 'admin password 1',
    });
    user = await registerUser(t);
    const login = await request(t.server).post(`${API}/auth/login`).send({ email: adminEmail, password: 'admin password 1' }).expect(200);
    adminAuth = { Authorization: `Bearer ${login.body.access_token}` };
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await servers?.destroy();
  });

  const createWithMessage = async (title: string, content: string, tokens: number) => {
    const session = await request(t.server).post(`${API}/sessions`).set(user.auth).send({ title }).expect(201);
    await request(t.server)
      .post(`${API}/sessions/${session.body.id}/messages`)
      .set(user.auth)
      .send({ role: 'assistant', content, model: 'm', usage: { prompt_tokens: tokens, completion_tokens: 0 } })
      .expect(201);
    return session.body.id as string;
  };

  it('serves lists, search and usage reports from the replica, and own-writes reads from the primary', async () => {
    await createWithMessage('before the pause', 'alpha report', 100);
    await servers.caughtUp();
    await servers.pauseReplay();

    const fresh = await createWithMessage('during the pause', 'bravo report', 30);
    // Lag-tolerant reads: the replica has not seen the second session.
    expect(await titles()).toEqual(['before the pause']);
    expect((await get('/messages/search?q=bravo')).body.total).toBe(0);
    expect((await get('/messages/search?q=alpha')).body.total).toBe(1);
    expect((await get('/usage')).body.total).toMatchObject({ total_tokens: 100, messages: 1 });
    expect((await get('/usage/stats')).body).toMatchObject({ total_sessions: 1, total_messages: 1 });
    const board = (await get('/admin/usage?page_size=100', adminAuth)).body.data as { user_id: string; total_tokens: number }[];
    expect(board.find((row) => row.user_id === user.id)).toMatchObject({ total_tokens: 100 });

    // Reads that must see the caller's own writes: the primary.
    const detail = (await get(`/sessions/${fresh}`)).body;
    expect(detail).toMatchObject({ title: 'during the pause', message_count: 1 });
    expect(detail.messages.map((m: { content: string }) => m.content)).toEqual(['bravo report']);
    expect((await get(`/sessions/${fresh}/messages`)).body.data).toHaveLength(1);
    expect((await get('/usage/quota')).body).toMatchObject({ tokens_used_today: 130 });

    await servers.resumeReplay();
    await servers.caughtUp();
    expect(await titles()).toEqual(['before the pause', 'during the pause']);
    expect((await get('/messages/search?q=bravo')).body.total).toBe(1);
  });

  it('falls back to the primary when the replica is down, and stays ready', async () => {
    await servers.stopReplica();
    await createWithMessage('after the replica stopped', 'charlie report', 5);

    expect(await titles()).toEqual(['before the pause', 'during the pause', 'after the replica stopped']);
    expect((await get('/messages/search?q=charlie')).body.total).toBe(1);
    expect((await get('/usage')).body.total).toMatchObject({ total_tokens: 135 });
    await request(t.server).get('/health/ready').expect(200);
  });
});

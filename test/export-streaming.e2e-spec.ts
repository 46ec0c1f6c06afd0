import { jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { ExportRepository } from '../src/export/export.repository.js';
import { ndjsonLines, streamExport } from './support/export-client.js';
import { API, registerUser, type TestUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * 6,000 messages of 4 KB (24 MB of NDJSON, far more than the socket buffers between client and server
 * hold) on a pool of ONE connection, read 100 rows per statement. A message is one long word, which the
 * search vector skips, so loading stays quick.
 */
const SESSIONS = 20;
const PER_SESSION = 300;
const SETTINGS = { DATABASE_POOL_SIZE: '1', DATABASE_POOL_QUEUE_MS: '2000', EXPORT_BATCH_SIZE: '100', PER_USER_CONCURRENCY: '4' };

describe('streaming an export', () => {
  let t: TestApp & { url: string };
  let user: TestUser;
  let statements: () => number;
  let total: number;

  const open = (headers: Record<string, string> = {}) =>
    streamExport(t.url, '/users/me/export', { authorization: `Bearer ${user.accessToken}`, ...headers });
  /** Waits until no export statement has run for a second; returns how many have run so far. */
  async function settled(): Promise<number> {
    for (let last = -1, quiet = 0; ; await sleep(100)) {
      quiet = statements() === last ? quiet + 100 : 0;
      last = statements();
      if (quiet >= 1000) return last;
    }
  }
  /** Another request of the same user on the pool of one, while the export is open. */
  const meanwhile = () => request(t.server).get(`${API}/usage/quota`).set(user.auth).timeout(5000).expect(200);

  beforeAll(async () => {
    t = await startTestApp(SETTINGS);
    user = await registerUser(t);
    for (let s = 0; s < SESSIONS; s++) {
      const { id } = (
        await request(t.server)
          .post(`${API}/sessions`)
          .set(user.auth)
          .send({ title: `s${s}` })
          .expect(201)
      ).body;
      for (let from = 0; from < PER_SESSION; from += 100) {
        const messages = Array.from({ length: 100 }, (_, i) => ({ role: 'user', content: `${from + i}:${'x'.repeat(4000)}` }));
        await request(t.server).post(`${API}/sessions/${id}/messages/batch`).set(user.auth).send({ messages }).expect(201);
      }
    }
    const repository = t.app.get(ExportRepository);
    const calls = [jest.spyOn(repository, 'sessions'), jest.spyOn(repository, 'messages'), jest.spyOn(repository, 'usage')];
    statements = () => calls.reduce((n, spy) => n + spy.mock.calls.length, 0);
    const before = statements();
    const lines = ndjsonLines(await open().ended);
    total = statements() - before;
    expect(lines.filter((line) => line.type === 'message')).toHaveLength(SESSIONS * PER_SESSION);
  }, 180_000);
  afterAll(() => t.close());

  it('sends the first lines before later batches are read, reads nothing more while the client does not read, and holds no connection meanwhile', async () => {
    const before = statements();
    const reading = open();
    await reading.waitFor(1);
    expect(statements() - before).toBeLessThan(total / 2);
    reading.pause();
    const stalled = (await settled()) - before;
    expect(stalled).toBeLessThan(total);
    await meanwhile();
    reading.resume();
    const lines = ndjsonLines(await reading.ended);
    expect(statements() - before).toBe(total);
    const sessions = lines.filter((line) => line.type === 'session');
    expect(sessions.map((s) => s.title)).toEqual(Array.from({ length: SESSIONS }, (_, s) => `s${s}`));
    const messages = lines.filter((line) => line.type === 'message');
    expect(messages.map((m) => m.seq)).toEqual(sessions.flatMap(() => Array.from({ length: PER_SESSION }, (_, i) => i + 1)));
  }, 60_000);

  it.each([['identity'], ['gzip']])(
    'stops the work when the client aborts mid-export (%s), and the pool of one serves on',
    async (encoding) => {
      const before = statements();
      const reading = open({ 'accept-encoding': encoding });
      await reading.waitFor(64 * 1024);
      reading.abort();
      await expect(reading.ended).rejects.toThrow();
      const stopped = (await settled()) - before;
      expect(stopped).toBeLessThan(total);
      await meanwhile();
      const again = await open({ 'accept-encoding': encoding }).ended;
      const lines = ndjsonLines(encoding === 'gzip' ? gunzipSync(again) : again);
      expect(lines.filter((line) => line.type === 'message')).toHaveLength(SESSIONS * PER_SESSION);
    },
    60_000,
  );

  it('cuts the connection (no clean end) when the account is erased mid-export', async () => {
    const reading = open();
    await reading.waitFor(1);
    reading.pause();
    await settled();
    await request(t.server).delete(`${API}/users/me`).set(user.auth).timeout(5000).expect(204);
    reading.resume();
    await expect(reading.ended).rejects.toThrow('the server cut the response');
    expect(reading.received).toBeLessThan(24 * 1024 * 1024);
  }, 60_000);
});

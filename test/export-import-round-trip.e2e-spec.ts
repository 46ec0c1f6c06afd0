import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { API, registerUser, type TestUser } from './support/factories.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/**
 * Export → import → export is byte-stable: what an account exports can be moved into another account and
 * exported again without a byte changing in its sessions and messages, apart from whose they are and the
 * sessions import must make inactive. Re-importing into the same account changes nothing at all.
 */
describe('export/import round trip', () => {
  let t: TestApp;
  let source: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    source = await registerUser(t);
    await seedHistory(t, source);
  });
  afterAll(() => t.close());

  async function exportOf(user: TestUser): Promise<string> {
    const res = await request(t.server).get(`${API}/users/me/export`).set(user.auth).buffer(true).parse(text).expect(200);
    return res.body as string;
  }

  async function importInto(user: TestUser, ndjson: string) {
    const res = await request(t.server)
      .post(`${API}/users/me/import`)
      .set(user.auth)
      .set('content-type', 'application/x-ndjson')
      .send(ndjson);
    expect(res.status).toBeLessThan(300);
    return res.body as Record<string, unknown>;
  }

  it('moves an account into another byte for byte, and a second import changes nothing', async () => {
    const first = await exportOf(source);
    expect(lines(first).filter((l) => l.type === 'session')).toHaveLength(4);
    expect(lines(first).filter((l) => l.type === 'message')).toHaveLength(6);
    const target = await registerUser(t);
    expect(await importInto(target, first)).toMatchObject({ conversations: { imported: 4, skipped: 0, failed: 0 }, messages_imported: 6 });
    const second = await exportOf(target);

    const activeInSource = new Set(
      lines(first)
        .filter((l) => l.type === 'session' && l.is_active)
        .map((l) => l.id),
    );
    expect(activeInSource.size).toBeGreaterThan(0);
    const comparable = (ndjson: string, userId: string) =>
      lines(ndjson)
        .filter((l) => l.type === 'session' || l.type === 'message')
        .map((l) => (l.type === 'session' && activeInSource.has(l.id) ? { ...l, is_active: null, deactivated_reason: null } : l))
        .map((l) => JSON.stringify(l).replaceAll(userId, '<user>'));
    expect(comparable(second, target.id)).toEqual(comparable(first, source.id));
    expect(lines(second).filter((l) => l.type === 'message')).toHaveLength(lines(first).filter((l) => l.type === 'message').length);

    expect(await importInto(target, second)).toMatchObject({ conversations: { imported: 0, skipped: 4, failed: 0 } });
    expect(await exportOf(target)).toBe(second);
  });
});

type Line = Record<string, unknown> & { type: string; id?: string };

function lines(ndjson: string): Line[] {
  expect(ndjson.endsWith('\n')).toBe(true);
  return ndjson
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

function text(res: request.Response, done: (e: Error | null, body: string) => void) {
  // A custom parser is handed Node's response stream, which superagent's types call a Response.
  const stream = res as unknown as NodeJS.ReadableStream;
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  stream.on('end', () => done(null, body));
}

/** Sessions of every kind an export meets: active, ended, with metadata and unicode, a cleared history, an edited and a deleted message. */
async function seedHistory(t: TestApp, user: TestUser): Promise<void> {
  const server = request(t.server);
  const create = async (body: object) => (await server.post(`${API}/sessions`).set(user.auth).send(body).expect(201)).body.id as string;
  const append = (id: string, body: object) => server.post(`${API}/sessions/${id}/messages`).set(user.auth).send(body).expect(201);

  const active = await create({ title: 'Active – ünïcödé 🚀', metadata: { tags: ['a', 'b'], nested: { n: 1.5 } }, project_id: 'p-1' });
  await append(active, { role: 'system', content: 'You are helpful.' });
  await append(active, { role: 'user', content: 'Hello "quoted" \\ back\nslash', metadata: { is_fortune: true } });
  const reply = await append(active, {
    role: 'assistant',
    content: 'Hi!',
    model: 'gpt-x',
    usage: { prompt_tokens: 12, completion_tokens: 3 },
  });
  await server.patch(`${API}/messages/${reply.body.id}`).set(user.auth).send({ content: 'Hi, edited.' }).expect(200);

  const ended = await create({ title: 'Ended', agent_type: 'research' });
  await append(ended, { role: 'user', content: 'first' });
  await append(ended, { role: 'tool', content: '{"result": 42}', metadata: { tool_call_id: 'c1' } });
  const gone = await append(ended, { role: 'assistant', content: 'to be deleted' });
  await server.delete(`${API}/messages/${gone.body.id}`).set(user.auth).expect(204);
  await server.post(`${API}/sessions/${ended}/end`).set(user.auth).expect(200);

  const cleared = await create({ title: 'Cleared' });
  await append(cleared, { role: 'user', content: 'before the clear' });
  await server.delete(`${API}/sessions/${cleared}/messages`).set(user.auth).expect(204);
  await append(cleared, { role: 'user', content: 'after the clear' });

  await create({ title: 'Empty' });
  const deleted = await create({ title: 'Soft-deleted, not exported' });
  await server.delete(`${API}/sessions/${deleted}`).set(user.auth).expect(204);
}

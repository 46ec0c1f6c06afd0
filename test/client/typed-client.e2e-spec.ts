import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import createClient from 'openapi-fetch';
import { sortKeys } from '../../src/common/swagger/sort-keys.js';
import { parseSse } from '../support/fake-llm.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { components, paths } from './openapi.js';

type Problem = components['schemas']['ProblemDto'];

/** The body of a successful call; anything else fails the test with the status and the problem. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new Error(`HTTP ${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}

/**
 * A frontend's view: a client generated from the committed openapi.json (openapi-typescript, default options,
 * into ./openapi.d.ts by `npm run openapi`) with openapi-fetch, against the real app on a loopback port.
 * `npm run lint` type-checks this file under `strict`: no casts, so the types are what a frontend gets.
 */
describe('a typed client generated from openapi.json', () => {
  let t: TestApp & { url: string };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is generated from exactly the document the app serves', async () => {
    const served: unknown = await (await fetch(`${t.url}/docs-json`)).json();
    const committed: unknown = JSON.parse(await readFile('openapi.json', 'utf8'));
    expect(sortKeys(served)).toEqual(committed);
  });

  it('registers, keeps a session, pages by cursor, searches, reads usage, chats and reads a typed 404', async () => {
    const anonymous = createClient<paths>({ baseUrl: t.url });
    const email = `typed-client-${randomUUID()}@example.com`;
    const auth = ok(await anonymous.POST('/api/v1/auth/register', { body: { email, password: 'correct horse battery' } }));
    const tokenType: 'Bearer' = auth.token_type;
    expect(tokenType).toBe('Bearer');
    const api = createClient<paths>({ baseUrl: t.url, headers: { Authorization: `Bearer ${auth.access_token}` } });

    // Optional fields stay optional: no agent_type, project_id or metadata.
    const session = ok(await api.POST('/api/v1/sessions', { body: { title: 'Typed client' } }));
    expect(session).toMatchObject({ agent_type: 'primary', evicted_session_ids: [] });
    const path = { id: session.id };
    for (const content of ['the nightly zebrafish import fails', 'because the backup window overlaps', 'move the backup']) {
      ok(await api.POST('/api/v1/sessions/{id}/messages', { params: { path }, body: { role: 'user', content } }));
    }

    const first = ok(await api.GET('/api/v1/sessions/{id}/messages', { params: { path, query: { page_size: 2 } } }));
    expect(first.data.map((message) => message.seq)).toEqual([1, 2]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const cursor = first.next_cursor ?? '';
    const rest = ok(await api.GET('/api/v1/sessions/{id}/messages', { params: { path, query: { cursor, page_size: 2 } } }));
    expect(rest).toMatchObject({ page: null, has_more: false, next_cursor: null });
    expect(rest.data.map((message) => message.content)).toEqual(['move the backup']);

    const hits = ok(await api.GET('/api/v1/messages/search', { params: { query: { q: 'zebrafish' } } }));
    expect(hits.data.map((hit) => [hit.session_id, hit.seq])).toEqual([[session.id, 1]]);

    const usage = ok(await api.GET('/api/v1/usage', { params: { query: { group_by: 'agent_type' } } }));
    expect(usage.total.messages).toBe(3);

    const reply = ok(await api.POST('/api/v1/chat', { body: { message: 'Summarise, please', session_id: session.id } }));
    expect(reply.assistant_message).toMatchObject({ seq: 5, role: 'assistant', model: 'echo' });
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);

    // The stream is read as a stream; its frames carry the event schemas of components.
    const streamed = await api.POST('/api/v1/chat', {
      body: { message: 'Stream it', session_id: session.id, stream: true },
      parseAs: 'stream',
    });
    expect(streamed.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await new Response(ok(streamed)).text());
    expect(events.map((frame) => frame.event)).toEqual(['session', ...events.slice(1, -1).map(() => 'delta'), 'done']);

    const missing = await api.GET('/api/v1/sessions/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    const code: Problem['code'] | undefined = missing.error?.code;
    expect(code).toBe('session_not_found');
    // @ts-expect-error `code` is the enum of problem codes, not any string.
    const unknownCode: Problem['code'] = 'no_such_code';
    expect(unknownCode).toBe('no_such_code');
  });
});

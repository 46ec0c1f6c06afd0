import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import { v5 as uuidV5 } from 'uuid';
import { CHATGPT_NAMESPACE } from '../src/import/chatgpt-conversation.js';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import {
  chatgptSessionId,
  conversations,
  fixture,
  IMPORT,
  messageLine,
  NDJSON,
  ndjson,
  sessionLine,
  usageLine,
  userLine,
  type Line,
} from './support/import-lines.js';
import { expectExactCounters } from './support/session-counters.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';

describe('POST /users/me/import', () => {
  let t: TestApp & { url: string };
  let db: pg.Pool;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '4096', CHAT_MESSAGE_MAX_LENGTH: '500' });
    db = testPool();
  });
  beforeEach(async () => {
    user = await registerUser(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const post = (body: string, type: string, who: TestUser = user) =>
    request(t.server).post(IMPORT).set(who.auth).set('Content-Type', type).send(body);
  const storedSessions = async (who: TestUser) =>
    (await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1', [who.id])).rows[0].n as number;
  const storedMessages = async (who: TestUser) =>
    (await db.query('SELECT count(*)::int AS n FROM chat_messages WHERE user_id = $1', [who.id])).rows[0].n as number;

  it('401 without a token', async () => {
    const res = await request(t.server)
      .post(IMPORT)
      .set('Content-Type', NDJSON)
      .send(ndjson([userLine]));
    expectProblem(res, 401, 'unauthorized');
  });

  it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])('415 for %s', async (type) => {
    const res = await post(ndjson([userLine]), type);
    expect(expectProblem(res, 415, 'unsupported_media_type').detail).toMatch(/application\/x-ndjson or application\/json/);
  });

  it('415 without a content type', async () => {
    const res = await request(t.server).post(IMPORT).set(user.auth).send();
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('leaves every other route to the global parsers and BODY_LIMIT', async () => {
    await post(ndjson([userLine]), NDJSON).expect(200);
    const ndjsonElsewhere = await request(t.server).post(`${API}/sessions`).set(user.auth).set('Content-Type', NDJSON).send('{}\n');
    expectProblem(ndjsonElsewhere, 415, 'unsupported_media_type');
    const standIn = await request(t.server)
      .post(`${API}/sessions`)
      .set(user.auth)
      .set('Content-Type', 'application/x-chat-history-streamed-body')
      .send('{}');
    expectProblem(standIn, 415, 'unsupported_media_type');
    const large = await request(t.server)
      .post(`${API}/sessions`)
      .set(user.auth)
      .send({ title: 'x'.repeat(5000) });
    expectProblem(large, 413, 'payload_too_large');
    // The import itself takes far more than BODY_LIMIT (4 KiB here).
    const session = sessionLine();
    const messages = Array.from({ length: 40 }, (_, i) => messageLine(session, i + 1, { content: 'y'.repeat(400) }));
    const body = ndjson([userLine, session, ...messages]);
    expect(body.length).toBeGreaterThan(16_000);
    expect((await post(body, NDJSON).expect(200)).body.messages_imported).toBe(40);
  });

  describe('a ChatGPT conversations.json', () => {
    const history = async (sessionId: string, who = user) =>
      (await request(t.server).get(`${API}/sessions/${sessionId}/messages`).set(who.auth).expect(200)).body;

    it('imports each conversation along its current branch, inactive, with exact counters', async () => {
      const res = await post(fixture, 'application/json').expect(200);
      expect(res.body).toEqual({
        format: 'chatgpt',
        conversations: { imported: 4, skipped: 0, failed: 0 },
        messages_imported: 10,
        messages_omitted: 6,
        usage_lines_ignored: 0,
        lines_rejected: 0,
        failures: [],
        failures_not_listed: 0,
      });

      // The regenerated answer replaced the first one; the hidden system message is left out.
      const first = await history(chatgptSessionId(0));
      expect(first.data.map((m: Line) => [m.seq, m.role, m.model, (m.content as string).slice(0, 24)])).toEqual([
        [1, 'user', null, 'Our nightly import fails'],
        [2, 'assistant', 'gpt-4o', 'Start with the database '],
        [3, 'user', null, 'It is PgBouncer with a 3'],
        [4, 'assistant', 'gpt-4o', 'Then the import holds a '],
      ]);
      expect(first.total).toBe(4);
      expect(first.data[0].created_at).toBe(new Date(Math.round((1733420000 + 1.234567) * 1000)).toISOString());
      expect(first.data[0].metadata).toEqual({ chatgpt_node_id: 'a1-u1' });

      const session = (
        await request(t.server)
          .get(`${API}/sessions/${chatgptSessionId(0)}`)
          .set(user.auth)
          .expect(200)
      ).body;
      expect(session).toMatchObject({
        title: 'Nightly import failure',
        agent_type: 'primary',
        is_active: false,
        deactivated_reason: 'imported',
        message_count: 4,
        total_tokens: 0,
        metadata: { imported_from: 'chatgpt', chatgpt_conversation_id: conversations[0].conversation_id },
        created_at: new Date(1733420000 * 1000).toISOString(),
        updated_at: new Date(1733420070 * 1000).toISOString(),
        last_message_at: first.data[3].created_at,
        last_message_preview: (first.data[3].content as string).slice(0, 200),
      });

      // Tools and multimodal parts: code and its output are kept, an image-only tool message is left out.
      const second = await history(chatgptSessionId(1));
      expect(second.data.map((m: Line) => [m.role, m.metadata])).toEqual([
        ['user', { chatgpt_node_id: 'b2-u1', content_type: 'multimodal_text', omitted_parts: ['image_asset_pointer'] }],
        ['assistant', { chatgpt_node_id: 'b2-a1', content_type: 'code' }],
        ['tool', { chatgpt_node_id: 'b2-tool', content_type: 'execution_output', author_name: 'python' }],
        ['assistant', { chatgpt_node_id: 'b2-a2' }],
      ]);
      expect(second.data[0].content).toBe('Make a bar chart of this table, rows per day.');
      const stats = (
        await request(t.server)
          .get(`${API}/sessions/${chatgptSessionId(1)}/stats`)
          .set(user.auth)
          .expect(200)
      ).body;
      expect(stats).toMatchObject({ message_count: 4, messages_by_role: { user: 1, assistant: 2, tool: 1 } });

      // An edited prompt: only the edited branch; reasoning without text is left out.
      expect((await history(chatgptSessionId(2))).data.map((m: Line) => m.content)).toEqual([
        'Explain VACUUM in PostgreSQL in two sentences.',
        expect.stringMatching(/^VACUUM reclaims/),
      ]);
      // A new chat with nothing said yet is an empty session.
      const empty = (
        await request(t.server)
          .get(`${API}/sessions/${chatgptSessionId(3)}`)
          .set(user.auth)
          .expect(200)
      ).body;
      expect(empty).toMatchObject({ title: null, message_count: 0, last_message_at: empty.created_at, last_message_preview: null });

      for (const index of [0, 1, 2, 3]) await expectExactCounters(db, chatgptSessionId(index), user.id);
      const found = await request(t.server).get(`${API}/messages/search?q=pgbouncer`).set(user.auth).expect(200);
      expect(found.body.data.map((hit: Line) => hit.session_id)).toEqual([chatgptSessionId(0)]);
      const roles = await request(t.server)
        .get(`${API}/sessions/${chatgptSessionId(1)}/messages?role=tool`)
        .set(user.auth)
        .expect(200);
      expect(roles.body.total).toBe(1);
    });

    it('is idempotent: a second import skips every conversation and stores nothing twice', async () => {
      await post(fixture, 'application/json').expect(200);
      const before = { sessions: await storedSessions(user), messages: await storedMessages(user) };
      const again = await post(fixture, 'application/json').expect(200);
      expect(again.body).toMatchObject({ conversations: { imported: 0, skipped: 4, failed: 0 }, messages_imported: 0 });
      expect({ sessions: await storedSessions(user), messages: await storedMessages(user) }).toEqual(before);
      expect(before).toEqual({ sessions: 4, messages: 10 });
    });

    it('is idempotent under concurrent imports of the same file', async () => {
      const [a, b] = await Promise.all([post(fixture, 'application/json'), post(fixture, 'application/json')]);
      const counts = [a.body.conversations, b.body.conversations];
      expect(counts.map((c) => c.imported + c.skipped)).toEqual([4, 4]);
      expect(counts[0].imported + counts[1].imported).toBe(4);
      expect(await storedMessages(user)).toBe(10);
    });

    it('keeps ids apart per account: another user imports the same file for themselves', async () => {
      const other = await registerUser(t);
      await post(fixture, 'application/json').expect(200);
      const res = await post(fixture, 'application/json', other).expect(200);
      expect(res.body.conversations.imported).toBe(4);
      expect(await storedMessages(other)).toBe(10);
    });

    it('fails a bad conversation alone, storing nothing of it', async () => {
      const parsed = JSON.parse(fixture) as Record<string, unknown>[];
      const broken = { ...parsed[1], conversation_id: 'broken-1', id: 'broken-1', current_node: 'no-such-node' };
      const tooLong = structuredClone(parsed[2]);
      tooLong.conversation_id = tooLong.id = 'too-long-1';
      const mapping = tooLong.mapping as Record<string, { message: { content: { parts: string[] } } }>;
      mapping['c3-a1-v2'].message.content.parts = ['z'.repeat(501)];
      const res = await post(JSON.stringify([parsed[0], broken, tooLong, 'not a conversation', parsed[3]]), 'application/json').expect(200);
      expect(res.body.conversations).toEqual({ imported: 2, skipped: 0, failed: 3 });
      expect(res.body.failures).toEqual([
        { index: 1, id: 'broken-1', line: null, reason: 'current_node or a parent names no node of mapping' },
        {
          index: 2,
          id: 'too-long-1',
          line: null,
          reason: 'message 2: content must be at most 500 characters (CHAT_MESSAGE_MAX_LENGTH)',
        },
        { index: 3, id: null, line: null, reason: 'the conversation must be a JSON object' },
      ]);
      const ids = ['broken-1', 'too-long-1'].map((id) => uuidV5(id, CHATGPT_NAMESPACE));
      const left = await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1 AND id = ANY($2)', [user.id, ids]);
      expect(left.rows[0].n).toBe(0);
      expect(await storedMessages(user)).toBe(4);
    });

    it.each([
      ['not JSON', 'this is not json'],
      ['an object, not an array', '{"conversations": []}'],
      ['cut off', fixture.slice(0, 4000)],
      ['two arrays', '[] []'],
    ])('400 for a body that is %s, nothing stored', async (_label, body) => {
      const res = await post(body, 'application/json');
      expectProblem(res, 400, 'invalid_import');
      expect(await storedSessions(user)).toBe(0);
    });
  });

  describe("this service's NDJSON export", () => {
    it('keeps what the lines say and derives the counters, inactive as imported unless exported inactive', async () => {
      const active = sessionLine({ last_message_preview: 'message number 5 about the nightly import' });
      const messages = [1, 2, 5].map((seq) => messageLine(active, seq));
      const ended = sessionLine({ is_active: false, deactivated_reason: 'ended', title: null, project_id: null });
      const body = ndjson([userLine, active, ...messages, ended, usageLine, { ...usageLine, model: null }]);
      const res = await post(body, NDJSON).expect(200);
      expect(res.body).toMatchObject({
        format: 'ndjson',
        conversations: { imported: 2, skipped: 0, failed: 0 },
        messages_imported: 3,
        usage_lines_ignored: 2,
        failures: [],
      });

      const session = (
        await request(t.server)
          .get(`${API}/sessions/${active.id as string}?include_messages=true`)
          .set(user.auth)
          .expect(200)
      ).body;
      const { type: _type, user_id: _user, ...kept } = active;
      expect(session).toMatchObject({
        ...kept,
        user_id: user.id,
        is_active: false,
        deactivated_reason: 'imported',
        message_count: 3,
        total_tokens: 220,
      });
      expect(session.messages).toEqual(messages.map(({ type: _t, ...message }) => message));
      const stats = (
        await request(t.server)
          .get(`${API}/sessions/${active.id as string}/stats`)
          .set(user.auth)
          .expect(200)
      ).body;
      expect(stats).toMatchObject({
        message_count: 3,
        messages_by_role: { user: 2, assistant: 1 },
        prompt_tokens: 200,
        completion_tokens: 20,
        first_message_at: messages[0].created_at,
      });
      await expectExactCounters(db, active.id as string);
      const inactive = (
        await request(t.server)
          .get(`${API}/sessions/${ended.id as string}`)
          .set(user.auth)
          .expect(200)
      ).body;
      expect(inactive).toMatchObject({ is_active: false, deactivated_reason: 'ended', message_count: 0, title: null });

      // Reactivated, it goes on after the highest imported seq.
      await request(t.server)
        .patch(`${API}/sessions/${active.id as string}`)
        .set(user.auth)
        .send({ is_active: true })
        .expect(200);
      const appended = await request(t.server)
        .post(`${API}/sessions/${active.id as string}/messages`)
        .set(user.auth)
        .send({ role: 'user', content: 'and one more' })
        .expect(201);
      expect(appended.body.seq).toBe(6);
      await expectExactCounters(db, active.id as string);

      // Imported messages record no usage.
      const usage = (await request(t.server).get(`${API}/usage?from=2026-01-01`).set(user.auth).expect(200)).body;
      expect(usage.total).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, messages: 1 });
      expect((await post(body, NDJSON).expect(200)).body.conversations).toEqual({ imported: 0, skipped: 2, failed: 0 });
    });

    it('fails a bad conversation alone, and says which and why', async () => {
      const good = sessionLine();
      const bad = sessionLine();
      const last = sessionLine();
      const badMessages = [messageLine(bad, 1), messageLine(bad, 2, { content: 'x'.repeat(501) })];
      const body = ndjson([userLine, good, messageLine(good, 1), bad, ...badMessages, last, messageLine(last, 1)]);
      const res = await post(body, NDJSON).expect(200);
      expect(res.body.conversations).toEqual({ imported: 2, skipped: 0, failed: 1 });
      expect(res.body.failures).toEqual([
        { index: 1, id: bad.id, line: 4, reason: 'message 2: content must be at most 500 characters (CHAT_MESSAGE_MAX_LENGTH)' },
      ]);
      const stored = await db.query('SELECT count(*)::int AS n FROM chat_messages WHERE user_id = $1 AND session_id = $2', [
        user.id,
        bad.id,
      ]);
      expect(stored.rows[0].n).toBe(0);
      expect(await storedSessions(user)).toBe(2);
    });

    it.each<[string, (session: Line) => Line[], RegExp]>([
      ['an unknown role', (s) => [messageLine(s, 1, { role: 'critic' })], /^message 1: role must be one of/],
      ['an unknown field', (s) => [messageLine(s, 1, { mood: 'happy' })], /^message 1: mood is not an accepted field/],
      ['a null where none is allowed', (s) => [messageLine(s, 1, { metadata: null })], /^message 1: .*metadata must not be null/],
      ['another session id', (s) => [messageLine(s, 1, { session_id: randomUUID() })], /session_id must be the id of the session line/],
      ['seq going back', (s) => [messageLine(s, 2), messageLine(s, 1)], /^message 2: seq must be greater/],
      ['an agent type not configured', (s) => [messageLine(s, 1, { agent_type: 'ghost' })], /agent_type must be one of: primary/],
      ['a lone surrogate', (s) => [messageLine(s, 1, { content: 'broken \ud800' })], /must be valid Unicode text/],
      ['a NUL character', (s) => [messageLine(s, 1, { content: 'nul \u0000 here' })], /cannot store/],
      ['a bad timestamp', (s) => [messageLine(s, 1, { created_at: 'yesterday' })], /created_at must be an ISO 8601 timestamp/],
      ['metadata over 16 KiB', (s) => [messageLine(s, 1, { metadata: { note: 'm'.repeat(17_000) } })], /metadata must be at most 16 KiB/],
      ['a negative token count', (s) => [messageLine(s, 1, { prompt_tokens: -1 })], /prompt_tokens must not be less than 0/],
    ])('refuses a conversation with %s', async (_label, messagesOf, reason) => {
      const session = sessionLine();
      const res = await post(ndjson([userLine, session, ...messagesOf(session)]), NDJSON).expect(200);
      expect(res.body.conversations).toEqual({ imported: 0, skipped: 0, failed: 1 });
      expect(res.body.failures[0].reason).toMatch(reason);
      expect(await storedSessions(user)).toBe(0);
    });

    it('fails the conversation of a broken line, and reports lines outside any conversation', async () => {
      const session = sessionLine();
      const body = [
        ndjson([userLine, messageLine(sessionLine(), 1), session]),
        '{"type":"message", not json\n',
        ndjson([messageLine(session, 1), { ...usageLine, date: 'today' }, usageLine]),
      ].join('');
      const res = await post(body, NDJSON).expect(200);
      expect(res.body).toMatchObject({ conversations: { imported: 0, skipped: 0, failed: 1 }, usage_lines_ignored: 1, lines_rejected: 2 });
      expect(res.body.failures).toEqual([
        { index: null, id: null, line: 2, reason: 'line 2: a message line must follow its session line' },
        { index: 0, id: session.id, line: 3, reason: 'line 4: is not JSON' },
        { index: null, id: null, line: 6, reason: 'line 6: usage: date must be YYYY-MM-DD' },
      ]);
    });

    it.each([
      ['empty', ''],
      ['not NDJSON at all', 'hello world\n'],
      ['without the user line', ndjson([sessionLine()])],
      ['of another version', ndjson([{ ...userLine, version: 2 }, sessionLine()])],
      ['a ChatGPT file sent as NDJSON', '[\n{"id": "x"}\n]\n'],
    ])('400 for a body that is %s, nothing stored', async (_label, body) => {
      const res = await post(body, NDJSON);
      expect(expectProblem(res, 400, 'invalid_import').detail).toMatch(/first line must be \{"type":"user","version":1/);
      expect(await storedSessions(user)).toBe(0);
    });
  });
});

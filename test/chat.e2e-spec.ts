import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, expectProblem, registerUser, type TestUser } from './support/factories.js';
import { FakeLlmServer, parseSse } from './support/fake-llm.js';
import { expectExactCounters } from './support/session-counters.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('chat with an OpenAI-compatible provider', () => {
  const fake = new FakeLlmServer();
  const db = testPool();
  let t: TestApp & { url: string };
  let user: TestUser;

  beforeAll(async () => {
    const baseUrl = await fake.start();
    t = await startTestApp({
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: baseUrl,
      LLM_API_KEY: 'sk-test-key',
      LLM_MODEL: 'fake-model',
      LLM_TIMEOUT_MS: '1000',
      LLM_MODELS: 'other-model',
      LLM_MAX_OUTPUT_TOKENS: '256',
      CHAT_CONTEXT_MESSAGES: '4',
      AGENT_SYSTEM_PROMPTS: JSON.stringify({ research: 'You are a careful researcher.' }),
    });
    user = await registerUser(t);
  });
  beforeEach(() => {
    fake.script = { kind: 'stream', chunks: ['Hello', ' world', '!'], usage: { prompt_tokens: 11, completion_tokens: 7 } };
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
    await db.end();
  });

  const chat = (body: object, who: TestUser = user) => request(t.server).post(`${API}/chat`).set(who.auth).send(body);
  const streamChat = async (body: object, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${API}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { res, events: parseSse(await res.text()) };
  };
  const messagesOf = async (sessionId: string) =>
    (
      await db.query(
        'SELECT seq, role, content, model, prompt_tokens, completion_tokens, metadata FROM chat_messages WHERE session_id = $1 ORDER BY seq',
        [sessionId],
      )
    ).rows;

  it('runs a turn without streaming: new session, both messages stored, usage counted', async () => {
    const message = 'Why does the nightly import fail on Sundays when the backup window overlaps with it?';
    const res = await chat({ message }).expect(201);
    expect(res.body).toMatchObject({
      evicted_session_ids: [],
      user_message: { seq: 1, role: 'user', content: message },
      assistant_message: {
        seq: 2,
        role: 'assistant',
        content: 'Hello world!',
        model: 'fake-model',
        prompt_tokens: 11,
        completion_tokens: 7,
        metadata: { finish_reason: 'stop' },
      },
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    });
    const session = (await db.query('SELECT title, message_count, total_tokens FROM chat_sessions WHERE id = $1', [res.body.session_id]))
      .rows[0];
    expect(session).toEqual({ title: message.slice(0, 60), message_count: 2, total_tokens: 18 });
    const request = fake.received.at(-1)!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.authorization).toBe('Bearer sk-test-key');
    expect(request.body).toMatchObject({
      model: 'fake-model',
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 256,
      messages: [{ role: 'user', content: message }],
    });
    const usage = await db.query(
      'SELECT sum(prompt_tokens + completion_tokens)::int AS tokens, sum(messages)::int AS messages FROM usage_daily WHERE session_id = $1',
      [res.body.session_id],
    );
    expect(usage.rows[0]).toEqual({ tokens: 18, messages: 2 });
  });

  it("moves the session's counters for the user message and the reply, as a recount shows", async () => {
    const res = await chat({ message: 'Count me' }).expect(201);
    await chat({ message: 'And again', session_id: res.body.session_id }).expect(201);
    const counters = await expectExactCounters(db, res.body.session_id);
    expect(counters.first_message_at?.toISOString()).toBe(res.body.user_message.created_at);
    const stats = await request(t.server).get(`${API}/sessions/${res.body.session_id}/stats`).set(user.auth).expect(200);
    expect(stats.body).toMatchObject({
      message_count: 4,
      messages_by_role: { user: 2, assistant: 2 },
      prompt_tokens: 22,
      completion_tokens: 14,
      total_tokens: 36,
      first_message_at: res.body.user_message.created_at,
    });
  });

  it('streams a turn as Server-Sent Events and stores the whole reply', async () => {
    const { res, events } = await streamChat({ message: 'Stream please', stream: true, model: 'other-model' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(events.map((e) => e.event)).toEqual(['session', 'delta', 'delta', 'delta', 'done']);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.content)).toEqual(['Hello', ' world', '!']);
    const session = events[0].data as { session_id: string; user_message: { seq: number } };
    expect(session.user_message.seq).toBe(1);
    expect(events[4].data).toMatchObject({ assistant_message: { seq: 2, content: 'Hello world!' }, usage: { total_tokens: 18 } });
    expect(fake.received.at(-1)!.body.model).toBe('other-model');
    expect((await messagesOf(session.session_id)).map((m) => m.content)).toEqual(['Stream please', 'Hello world!']);
  });

  it('streams when the client accepts text/event-stream, unless stream is false', async () => {
    const accepted = await streamChat({ message: 'via accept' }, { accept: 'text/event-stream' });
    expect(accepted.events.at(-1)?.event).toBe('done');
    const json = await fetch(`${t.url}${API}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'json please', stream: false }),
    });
    expect(json.status).toBe(201);
    expect(((await json.json()) as { assistant_message: { content: string } }).assistant_message.content).toBe('Hello world!');
  });

  it('sends the system prompt and the newest messages within CHAT_CONTEXT_MESSAGES', async () => {
    const sessionId = (await request(t.server).post(`${API}/sessions`).set(user.auth).send({ agent_type: 'research' }).expect(201)).body.id;
    await request(t.server)
      .post(`${API}/sessions/${sessionId}/messages/batch`)
      .set(user.auth)
      .send({ messages: ['m1', 'm2', 'm3', 'm4'].map((content, i) => ({ role: i % 2 ? 'assistant' : 'user', content })) })
      .expect(201);
    await chat({ message: 'm5', session_id: sessionId }).expect(201);
    expect(fake.received.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'You are a careful researcher.' },
      { role: 'assistant', content: 'm2' },
      { role: 'user', content: 'm3' },
      { role: 'assistant', content: 'm4' },
      { role: 'user', content: 'm5' },
    ]);
  });

  it('reports the session evicted to make room for the new one', async () => {
    const owner = await registerUser(t);
    const existing: string[] = [];
    for (let i = 0; i < 5; i++)
      existing.push((await request(t.server).post(`${API}/sessions`).set(owner.auth).send({}).expect(201)).body.id);
    const res = await chat({ message: 'one more', title: 'Sixth' }, owner).expect(201);
    expect(res.body.evicted_session_ids).toHaveLength(1);
    expect(existing).toContain(res.body.evicted_session_ids[0]);
    expect((await db.query('SELECT title FROM chat_sessions WHERE id = $1', [res.body.session_id])).rows[0].title).toBe('Sixth');
  });

  it('continues only active sessions of the caller, storing nothing otherwise', async () => {
    const other = await registerUser(t);
    const ended = (await request(t.server).post(`${API}/sessions`).set(user.auth).send({}).expect(201)).body.id;
    await request(t.server).post(`${API}/sessions/${ended}/end`).set(user.auth).expect(200);
    const calls = fake.received.length;
    expectProblem(await chat({ message: 'hi', session_id: ended }), 409, 'session_inactive');
    expectProblem(await chat({ message: 'hi', session_id: ended }, other), 404, 'session_not_found');
    expectProblem(await chat({ message: 'hi', session_id: randomUUID() }), 404, 'session_not_found');
    expect(await messagesOf(ended)).toEqual([]);
    expect(fake.received.length).toBe(calls);
  });

  it('aborts the model call when the client disconnects mid-stream, and keeps the partial reply', async () => {
    fake.script = { kind: 'stream', chunks: ['Partial ', 'answer ', 'never sent'], hangAfter: 2 };
    const aborted = fake.abortedByClient;
    const sessionId = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${t.url}${API}/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
          const events = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
          if (events.filter((e) => e.event === 'delta').length === 2) {
            req.destroy();
            resolve(events[0].data.session_id as string);
          }
        });
        res.on('error', () => undefined);
      });
      req.on('close', () => setTimeout(() => reject(new Error('closed before two deltas')), 100));
      req.end(JSON.stringify({ message: 'Tell me a long story', stream: true }));
    });

    let stored: { role: string; content: string; metadata: { finish_reason?: string } }[] = [];
    for (let i = 0; i < 40 && stored.length < 2; i++) {
      await sleep(50);
      stored = await messagesOf(sessionId);
    }
    expect(stored.map((m) => [m.role, m.content, m.metadata.finish_reason])).toEqual([
      ['user', 'Tell me a long story', undefined],
      ['assistant', 'Partial answer ', 'interrupted'],
    ]);
    expect(fake.abortedByClient).toBe(aborted + 1);
  });

  it('answers 502 upstream_error when the provider fails, keeping the user message', async () => {
    fake.script = { kind: 'status', status: 500 };
    const res = await chat({ message: 'Will this work?' });
    expect(expectProblem(res, 502, 'upstream_error').detail).toContain('HTTP 500');
    const sessionId = (await db.query(`SELECT session_id FROM chat_messages WHERE user_id = $1 AND content = 'Will this work?'`, [user.id]))
      .rows[0].session_id;
    expect((await messagesOf(sessionId)).map((m) => m.role)).toEqual(['user']);
  });

  it('ends the stream with an error event when the provider fails mid-turn', async () => {
    fake.script = { kind: 'status', status: 503 };
    const { res, events } = await streamChat({ message: 'streaming failure', stream: true });
    expect(res.status).toBe(200);
    expect(events.map((e) => e.event)).toEqual(['session', 'error']);
    expect(events[1].data).toMatchObject({ status: 502, code: 'upstream_error', instance: `${API}/chat` });
    expect((await messagesOf(events[0].data.session_id as string)).map((m) => m.role)).toEqual(['user']);
  });

  it('answers 502 when the provider does not answer within LLM_TIMEOUT_MS', async () => {
    fake.script = { kind: 'hang' };
    const started = performance.now();
    const res = await chat({ message: 'Anyone there?' });
    expect(expectProblem(res, 502, 'upstream_error').detail).toContain('1000 ms');
    expect(performance.now() - started).toBeLessThan(4000);
    const rows = (
      await db.query(
        `SELECT role FROM chat_messages WHERE user_id = $1 AND session_id = (SELECT session_id FROM chat_messages WHERE content = 'Anyone there?' AND user_id = $1)`,
        [user.id],
      )
    ).rows;
    expect(rows).toEqual([{ role: 'user' }]);
  });

  it('validates the request and stores nothing for a bad one', async () => {
    const fresh = await registerUser(t);
    for (const [body, field] of [
      [{ message: '' }, 'message'],
      [{ message: 'x'.repeat(10_001) }, 'message'],
      [{ message: 'hi', session_id: 'nope' }, 'session_id'],
      [{ message: 'hi', agent_type: 'planner' }, 'agent_type'],
      [{ message: 'hi', stream: 'yes' }, 'stream'],
      [{ message: 'hi', temperature: 2 }, 'temperature'],
    ] as const) {
      const problem = expectProblem(await chat(body, fresh), 400, 'validation_failed');
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    expect((await db.query('SELECT count(*)::int AS n FROM chat_sessions WHERE user_id = $1', [fresh.id])).rows[0].n).toBe(0);
    expectProblem(await request(t.server).post(`${API}/chat`).send({ message: 'hi' }), 401, 'unauthorized');
  });
});

describe('chat stream keep-alive', () => {
  const fake = new FakeLlmServer();
  let t: TestApp & { url: string };

  beforeAll(async () => {
    t = await startTestApp({ LLM_PROVIDER: 'openai', LLM_BASE_URL: await fake.start(), LLM_MODEL: 'fake-model', CHAT_HEARTBEAT_MS: '20' });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('sends a comment line while the model is slow, which clients skip', async () => {
    fake.script = { kind: 'stream', chunks: ['slow', ' reply'], delayMs: 150 };
    const user = await registerUser(t);
    const res = await fetch(`${t.url}${API}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'take your time', stream: true }),
    });
    const text = await res.text();
    expect(text).toContain(': keep-alive\n\n');
    expect(parseSse(text).map((e) => e.event)).toEqual(['session', 'delta', 'delta', 'done']);
  });
});

describe('chat quota', () => {
  let t: TestApp;
  const db = testPool();

  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_DAILY_MESSAGE_LIMIT: '1' });
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  it('refuses a turn over quota with 429 before storing anything', async () => {
    const user = await registerUser(t);
    await request(t.server).post(`${API}/chat`).set(user.auth).send({ message: 'first' }).expect(201);
    const refused = await request(t.server).post(`${API}/chat`).set(user.auth).send({ message: 'second' });
    expectProblem(refused, 429, 'quota_exceeded');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const counts = await db.query(
      `SELECT (SELECT count(*)::int FROM chat_sessions WHERE user_id = $1) AS sessions, (SELECT count(*)::int FROM chat_messages WHERE user_id = $1) AS messages`,
      [user.id],
    );
    expect(counts.rows[0]).toEqual({ sessions: 1, messages: 2 });
  });
});

describe('chat with the echo provider (default, offline)', () => {
  let t: TestApp & { url: string };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers deterministically, without and with streaming', async () => {
    const user = await registerUser(t);
    const res = await request(t.server).post(`${API}/chat`).set(user.auth).send({ message: 'ping pong' }).expect(201);
    expect(res.body.assistant_message).toMatchObject({
      content: 'You said: ping pong',
      model: 'echo',
      metadata: { finish_reason: 'stop' },
    });
    expect(res.body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });

    const streamed = await fetch(`${t.url}${API}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'ping pong', session_id: res.body.session_id, stream: true }),
    });
    const events = parseSse(await streamed.text());
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.content)).toEqual(['You ', 'said: ', 'ping ', 'pong']);
    expect(events.at(-1)).toMatchObject({
      event: 'done',
      data: { assistant_message: { seq: 4, content: 'You said: ping pong', model: 'echo' } },
    });
  });
});

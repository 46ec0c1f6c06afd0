import { API, registerUser, type TestUser } from './support/factories.js';
import { call } from './support/http.js';
import { expectExactCounters } from './support/session-counters.js';
import { startTestApp, testPool, type TestApp } from './support/test-app.js';
import type { Paging } from '../src/common/pagination/pagination.js';
import { historyPageQuery } from '../src/messages/messages.sql.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}
const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

const ROLE_INDEX = 'chat_messages_user_session_role_seq_idx';

/** Runs `run` over `items`, at most `width` at a time. */
async function inParallel<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('messages under concurrency (two app instances, one database)', () => {
  let instances: (TestApp & { url: string })[];
  let user: TestUser;
  const db = testPool();

  beforeAll(async () => {
    instances = [await startTestApp(), await startTestApp()];
    user = await registerUser(instances[0]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await db.end();
  });

  const newSession = async () => (await call(instances[0].url, 'POST', `${API}/sessions`, user.accessToken, {})).body.id as string;
  const appendVia = (i: number, sessionId: string, content: string) =>
    call(instances[i % 2].url, 'POST', `${API}/sessions/${sessionId}/messages`, user.accessToken, {
      role: i % 2 ? 'assistant' : 'user',
      content,
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    });

  it('200 concurrent appends get seq 1..200 exactly once, and the counters are exact', async () => {
    const sessionId = await newSession();
    const responses = await Promise.all(range(1, 200).map((i) => appendVia(i, sessionId, `message ${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(201));
    expect(responses.map((r) => r.body.seq as number).sort((a, b) => a - b)).toEqual(range(1, 200));
    const stored = await db.query('SELECT seq FROM chat_messages WHERE session_id = $1 ORDER BY seq', [sessionId]);
    expect(stored.rows.map((r) => r.seq)).toEqual(range(1, 200));
    const session = await db.query('SELECT message_count, last_seq, total_tokens FROM chat_sessions WHERE id = $1', [sessionId]);
    expect(session.rows[0]).toEqual({ message_count: 200, last_seq: 200, total_tokens: 400 });
    const counters = await expectExactCounters(db, sessionId);
    expect(counters).toMatchObject({ user_message_count: 100, assistant_message_count: 100, prompt_tokens: 200, completion_tokens: 200 });
  });

  it('concurrent appends, batches, edits and deletes on both instances leave every counter equal to a recount', async () => {
    const sessionId = await newSession();
    const roles = ['user', 'assistant', 'system', 'tool'];
    const message = (i: number) => ({
      role: roles[i % 4],
      content: `message ${i}`,
      ...(i % 3 ? { usage: { prompt_tokens: i, completion_tokens: i % 5 } } : {}),
    });
    const prefilled = await call(instances[0].url, 'POST', `${API}/sessions/${sessionId}/messages/batch`, user.accessToken, {
      messages: range(1, 40).map(message),
    });
    const ids = (prefilled.body.data as { id: string }[]).map((m) => m.id);

    type Request = [method: string, path: string, body?: object];
    const requests: Request[] = [
      ...range(41, 100).map((i): Request => ['POST', `${API}/sessions/${sessionId}/messages`, message(i)]),
      ...range(0, 9).map((b): Request => [
        'POST',
        `${API}/sessions/${sessionId}/messages/batch`,
        { messages: range(101 + 5 * b, 105 + 5 * b).map(message) },
      ]),
      // Every other prefilled message, the oldest (seq 1) among them.
      ...ids.filter((_, i) => i % 2 === 0).map((id): Request => ['DELETE', `${API}/messages/${id}`]),
      ...ids.filter((_, i) => i % 4 === 1).map((id): Request => ['PATCH', `${API}/messages/${id}`, { content: 'edited' }]),
    ];
    // Interleaved, and six at a time per instance: under PER_USER_CONCURRENCY, so none waits its turn into a 429.
    const shuffled = requests.map((r, i) => [(i * 37) % requests.length, r] as const).sort(([a], [b]) => a - b);
    const perInstance = [0, 1].map((n) => shuffled.filter((_, i) => i % 2 === n).map(([, r]) => r));
    const responses = (
      await Promise.all(
        perInstance.map((list, n) =>
          inParallel(list, 6, ([method, path, body]) => call(instances[n].url, method, path, user.accessToken, body)),
        ),
      )
    ).flat();
    expect(responses.filter((r) => ![200, 201, 204].includes(r.status)).map((r) => [r.status, r.body])).toEqual([]);

    const counters = await expectExactCounters(db, sessionId);
    expect(counters.message_count).toBe(40 + 60 + 50 - 20);
    const stats = await call(instances[1].url, 'GET', `${API}/sessions/${sessionId}/stats`, user.accessToken);
    expect(stats.body).toMatchObject({
      message_count: counters.message_count,
      messages_by_role: {
        user: counters.user_message_count,
        assistant: counters.assistant_message_count,
        system: counters.system_message_count,
        tool: counters.tool_message_count,
      },
      prompt_tokens: counters.prompt_tokens,
      completion_tokens: counters.completion_tokens,
      first_message_at: counters.first_message_at!.toISOString(),
    });
  });

  it('a cursor walk while appends run returns every earlier message exactly once, in order', async () => {
    const sessionId = await newSession();
    await call(instances[0].url, 'POST', `${API}/sessions/${sessionId}/messages/batch`, user.accessToken, {
      messages: range(1, 100).map((i) => ({ role: 'user', content: `before ${i}` })),
    });
    const appending = Promise.all(range(1, 100).map((i) => appendVia(i, sessionId, `during ${i}`)));

    const walked: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const query = new URLSearchParams({ page_size: '7', ...(cursor ? { cursor } : {}) });
      const res = await call(instances[page % 2].url, 'GET', `${API}/sessions/${sessionId}/messages?${query}`, user.accessToken);
      expect(res.status).toBe(200);
      walked.push(...res.body.data.map((m: { seq: number }) => m.seq));
      if (!res.body.has_more) break;
      cursor = res.body.next_cursor;
    }
    const appended = await appending;
    expect(appended.every((r) => r.status === 201)).toBe(true);
    expect(walked.slice(0, 100)).toEqual(range(1, 100));
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual([...walked].sort((a, b) => a - b));
  });

  it('reads the latest page, and a page at depth 15,000 of 20,000, with an index range scan of page_size + 1 rows, by role too', async () => {
    const sessionId = await newSession();
    // Another user owns most of the table, as in production: the plan must not depend on this user's share.
    const crowd = await registerUser(instances[1]);
    const crowdSessions = await Promise.all(
      [0, 1].map(async () => (await call(instances[1].url, 'POST', `${API}/sessions`, crowd.accessToken, {})).body.id as string),
    );
    for (const [session, owner, count] of [
      [sessionId, user.id, 20_000],
      [crowdSessions[0], crowd.id, 40_000],
      [crowdSessions[1], crowd.id, 40_000],
    ] as const) {
      await db.query(
        `INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type)
         SELECT $1, $2, n, CASE WHEN n % 10 = 0 THEN 'tool' ELSE 'user' END, 'message ' || n, 'primary'
           FROM generate_series(1, $3::int) AS n`,
        [session, owner, count],
      );
      await db.query(
        `UPDATE chat_sessions SET last_seq = $2, message_count = $2, user_message_count = $2 - $2 / 10, tool_message_count = $2 / 10,
                first_message_at = now()
          WHERE id = $1`,
        [session, count],
      );
    }
    await db.query('ANALYZE chat_messages');

    const pages: { order: 'asc' | 'desc'; paging: Paging<[number]>; role?: 'tool'; index: string }[] = [
      { order: 'asc', paging: { mode: 'cursor', size: 50, after: [15_000] }, index: 'chat_messages_session_seq_key' },
      { order: 'desc', paging: { mode: 'cursor', size: 50, after: [15_000] }, index: 'chat_messages_session_seq_key' },
      // The latest 50, as a chat frontend asks first.
      { order: 'desc', paging: { mode: 'page', size: 50, page: 1, offset: 0 }, index: 'chat_messages_session_seq_key' },
      // One message in ten is a tool's: walking (session_id, seq) would read ten rows for each one returned.
      ...(['asc', 'desc'] as const).flatMap((order) => [
        { order, role: 'tool' as const, paging: { mode: 'cursor' as const, size: 50, after: [15_000] as [number] }, index: ROLE_INDEX },
        { order, role: 'tool' as const, paging: { mode: 'page' as const, size: 50, page: 1, offset: 0 }, index: ROLE_INDEX },
      ]),
    ];
    for (const { order, paging, role, index } of pages) {
      const { sql, params } = historyPageQuery(user.id, sessionId, role, order, paging);
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = (await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)).rows;
      const nodes = planNodes(plan.Plan);
      const messagesScan = nodes.find((node) => node['Relation Name'] === 'chat_messages');
      expect({
        order,
        role,
        root: plan.Plan['Node Type'],
        scan: messagesScan?.['Node Type'],
        index: messagesScan?.['Index Name'],
        rows: messagesScan?.['Actual Rows'],
      }).toEqual({
        order,
        role,
        root: 'Nested Loop',
        scan: expect.stringMatching(/^Index Scan/),
        index,
        rows: 51,
      });
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    }

    // The API reports the counts kept on the session, without counting 20,000 rows.
    const first = await call(instances[0].url, 'GET', `${API}/sessions/${sessionId}/messages?page_size=50`, user.accessToken);
    expect(first.body.total).toBe(20000);
    const tools = await call(instances[1].url, 'GET', `${API}/sessions/${sessionId}/messages?role=tool&order=desc`, user.accessToken);
    expect(tools.body.total).toBe(2000);
    expect(tools.body.data[0]).toMatchObject({ seq: 20_000, role: 'tool' });
  }, 120_000); // bulk-builds 100,000 rows: minutes on a busy 2-core machine are possible, seconds are usual
});

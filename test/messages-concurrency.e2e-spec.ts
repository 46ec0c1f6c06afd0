import { API, registerUser, type TestUser } from './support/factories.js';
import { call } from './support/http.js';
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

  it('reads the latest page, and a page at depth 15,000 of 20,000, with an index range scan of page_size + 1 rows', async () => {
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
         SELECT $1, $2, n, 'user', 'message ' || n, 'primary' FROM generate_series(1, $3::int) AS n`,
        [session, owner, count],
      );
      await db.query('UPDATE chat_sessions SET last_seq = $2, message_count = $2 WHERE id = $1', [session, count]);
    }
    await db.query('ANALYZE chat_messages');

    const pages: { order: 'asc' | 'desc'; paging: Paging<[number]> }[] = [
      { order: 'asc', paging: { mode: 'cursor', size: 50, after: [15_000] } },
      { order: 'desc', paging: { mode: 'cursor', size: 50, after: [15_000] } },
      // The latest 50, as a chat frontend asks first.
      { order: 'desc', paging: { mode: 'page', size: 50, page: 1, offset: 0 } },
    ];
    for (const { order, paging } of pages) {
      const { sql, params } = historyPageQuery(user.id, sessionId, undefined, order, paging);
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = (await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)).rows;
      const nodes = planNodes(plan.Plan);
      const messagesScan = nodes.find((node) => node['Relation Name'] === 'chat_messages');
      expect({
        order,
        root: plan.Plan['Node Type'],
        scan: messagesScan?.['Node Type'],
        index: messagesScan?.['Index Name'],
        rows: messagesScan?.['Actual Rows'],
      }).toEqual({
        order,
        root: 'Nested Loop',
        scan: 'Index Scan',
        index: 'chat_messages_session_seq_key',
        rows: 51,
      });
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    }

    // The API reports the count kept on the session, without counting 20,000 rows.
    const first = await call(instances[0].url, 'GET', `${API}/sessions/${sessionId}/messages?page_size=50`, user.accessToken);
    expect(first.body.total).toBe(20000);
  }, 120_000); // bulk-builds 100,000 rows: minutes on a busy 2-core machine are possible, seconds are usual
});

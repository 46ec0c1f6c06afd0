import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { BenchConfig } from './config.js';
import { fillerTexts } from './text.js';

export const AGENT_TYPES = ['primary', 'log_analysis', 'research', 'router'] as const;
const EMAIL_DOMAIN = 'bench.invalid';
const TEXT_VARIANTS = 64;
const MESSAGE_CHUNK_ROWS = 20_000;

export interface SessionRef {
  id: string;
  userId: string;
}

export interface Fixture {
  append: { service: SessionRef[]; baseline: SessionRef[] };
  history: SessionRef[];
  listUserId: string | null;
  limitPairs: { userId: string; agentType: string }[];
  deep: SessionRef | null;
}

interface SessionSpec {
  id: string;
  userId: string;
  agentType: string;
  active: boolean;
  messages: number;
  minutesAgo: number;
  contentBytes: number;
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise). */
class Progress {
  private done = 0;
  private lastDecile = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {
    this.draw();
  }

  add(n: number): void {
    this.done += n;
    this.draw();
  }

  finish(): void {
    this.done = this.total;
    if (process.stderr.isTTY) this.draw(true);
  }

  private draw(final = false): void {
    const ratio = this.total === 0 ? 1 : Math.min(1, this.done / this.total);
    const width = 30;
    const filled = Math.round(ratio * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${this.done}/${this.total} rows, ${((Date.now() - this.started) / 1000).toFixed(1)} s`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    } else {
      const decile = Math.floor(ratio * 10);
      if (decile !== this.lastDecile || final) {
        this.lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  }
}

/** Removes everything a previous bench run seeded (users cascade to sessions, messages and usage). */
export async function cleanBenchData(db: pg.Client): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM users WHERE email LIKE $1`, [`bench-%@${EMAIL_DOMAIN}`]);
  return rowCount ?? 0;
}

async function insertUsers(db: pg.Client, label: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.query(
    `WITH u AS (
       INSERT INTO users (id, email, password_hash, display_name)
       SELECT u.id, 'bench-' || $2 || '-' || u.n || '@${EMAIL_DOMAIN}', 'scrypt$bench', 'Bench ' || $2 || ' ' || u.n
         FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)
       RETURNING id, email)
     INSERT INTO user_emails (email, user_id) SELECT email, id FROM u`,
    [ids, label],
  );
  return ids;
}

async function insertSessions(db: pg.Client, specs: SessionSpec[]): Promise<void> {
  for (let i = 0; i < specs.length; i += 5000) {
    const part = specs.slice(i, i + 5000);
    await db.query(
      `INSERT INTO chat_sessions (id, user_id, title, agent_type, is_active, deactivated_reason, last_seq, message_count,
                                  user_message_count, assistant_message_count, first_message_at, created_at, updated_at, last_message_at)
       SELECT s.id, s.user_id, 'Bench session ' || s.n, s.agent_type, s.active, CASE WHEN s.active THEN NULL ELSE 'ended' END,
              s.messages, s.messages, (s.messages + 1) / 2, s.messages / 2,
              CASE WHEN s.messages > 0 THEN t.at + interval '1 millisecond' END, t.at, t.at, t.at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::boolean[], $5::int[], $6::int[])
                WITH ORDINALITY AS s(id, user_id, agent_type, active, messages, minutes_ago, n)
        CROSS JOIN LATERAL (SELECT now() - make_interval(mins => s.minutes_ago) AS at) t`,
      [
        part.map((s) => s.id),
        part.map((s) => s.userId),
        part.map((s) => s.agentType),
        part.map((s) => s.active),
        part.map((s) => s.messages),
        part.map((s) => s.minutesAgo),
      ],
    );
  }
}

interface Segment {
  session: SessionSpec;
  from: number;
  to: number;
}

const INSERT_MESSAGES = `
  INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type, created_at, updated_at)
  SELECT s.session_id, s.user_id, g, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END,
         ($6::text[])[1 + g % ${TEXT_VARIANTS}], s.agent_type, c.created_at + g * interval '1 millisecond',
         c.created_at + g * interval '1 millisecond'
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[]) AS s(session_id, user_id, agent_type, lo, hi)
    JOIN chat_sessions c ON c.id = s.session_id
   CROSS JOIN LATERAL generate_series(s.lo, s.hi) g`;

/**
 * Messages seq 1..n per session, alternating user/assistant, as set-based INSERT … SELECT batches of about
 * MESSAGE_CHUNK_ROWS rows, spread over the given connections (the generated tsvector column makes each row
 * cost CPU on the server, so two connections use both cores).
 */
async function insertMessages(clients: pg.Client[], specs: SessionSpec[], progress: Progress): Promise<void> {
  const textsBySize = new Map<number, string[]>();
  const batches: { segments: Segment[]; rows: number; texts: string[] }[] = [];
  const bySize = new Map<number, Segment[]>();
  for (const session of specs) {
    if (!textsBySize.has(session.contentBytes)) textsBySize.set(session.contentBytes, fillerTexts(TEXT_VARIANTS, session.contentBytes));
    for (let from = 1; from <= session.messages; from += MESSAGE_CHUNK_ROWS) {
      const segments = bySize.get(session.contentBytes) ?? [];
      segments.push({ session, from, to: Math.min(session.messages, from + MESSAGE_CHUNK_ROWS - 1) });
      bySize.set(session.contentBytes, segments);
    }
  }
  for (const [size, segments] of bySize) {
    let batch: Segment[] = [];
    let rows = 0;
    for (const segment of segments) {
      batch.push(segment);
      rows += segment.to - segment.from + 1;
      if (rows >= MESSAGE_CHUNK_ROWS) {
        batches.push({ segments: batch, rows, texts: textsBySize.get(size)! });
        [batch, rows] = [[], 0];
      }
    }
    if (batch.length > 0) batches.push({ segments: batch, rows, texts: textsBySize.get(size)! });
  }
  const worker = async (client: pg.Client) => {
    for (let next = batches.shift(); next; next = batches.shift()) {
      const { segments, rows, texts } = next;
      await client.query(INSERT_MESSAGES, [
        segments.map((b) => b.session.id),
        segments.map((b) => b.session.userId),
        segments.map((b) => b.session.agentType),
        segments.map((b) => b.from),
        segments.map((b) => b.to),
        texts,
      ]);
      progress.add(rows);
    }
  };
  await Promise.all(clients.map(worker));
}

/**
 * Seeds, with set-based SQL, only what the selected scenarios need. Invariants kept: at most 5 active
 * sessions per (user, agent type); inactive sessions carry a deactivated_reason; last_seq = message_count =
 * the number of seeded messages, numbered 1..n (odd seq user, even seq assistant, as the role counters say);
 * first_message_at is seq 1's created_at; last_message_at/preview follow the last message.
 */
export async function seed(db: pg.Client, config: BenchConfig, helpers: pg.Client[] = []): Promise<Fixture> {
  const wants = (name: string) => config.scenarios.has(name as never);
  const specs: SessionSpec[] = [];
  const fixture: Fixture = { append: { service: [], baseline: [] }, history: [], listUserId: null, limitPairs: [], deep: null };

  if (wants('append')) {
    // Two identical sets, so the service and the baseline append to comparable data.
    for (const target of ['service', 'baseline'] as const) {
      const users = await insertUsers(db, `append-${target}`, config.appendUsers);
      for (let i = 0; i < config.appendSessions; i++) {
        const userId = users[i % users.length];
        const nth = Math.floor(i / users.length); // the user's nth session: agent types in turn, at most 5 of each
        const spec: SessionSpec = {
          id: randomUUID(),
          userId,
          agentType: AGENT_TYPES[nth % AGENT_TYPES.length],
          active: true,
          messages: config.appendSeedMessages,
          minutesAgo: 60 + i,
          contentBytes: config.appendBytes,
        };
        specs.push(spec);
        fixture.append[target].push({ id: spec.id, userId });
      }
    }
  }
  if (wants('history')) {
    const users = await insertUsers(db, 'history', config.historySessions);
    for (const userId of users) {
      const spec = { id: randomUUID(), userId, agentType: 'primary', active: true, messages: config.historyMessages, minutesAgo: 24 * 60 };
      specs.push({ ...spec, contentBytes: config.historyBytes });
      fixture.history.push({ id: spec.id, userId });
    }
  }
  if (wants('session_list') || wants('statements')) {
    const [userId] = await insertUsers(db, 'list', 1);
    const perType = new Map<string, number>();
    for (let i = 0; i < config.listSessions; i++) {
      const agentType = AGENT_TYPES[i % AGENT_TYPES.length];
      const active = (perType.get(agentType) ?? 0) < 5; // the newest 5 of each type stay active
      if (active) perType.set(agentType, (perType.get(agentType) ?? 0) + 1);
      specs.push({ id: randomUUID(), userId, agentType, active, messages: 0, minutesAgo: 1 + i, contentBytes: 0 });
    }
    fixture.listUserId = userId;
  }
  if (wants('create_at_limit')) {
    const users = await insertUsers(db, 'limit', config.limitUsers);
    for (const userId of users) {
      for (const agentType of AGENT_TYPES) {
        for (let k = 0; k < 5; k++)
          specs.push({ id: randomUUID(), userId, agentType, active: true, messages: 0, minutesAgo: 10 + k, contentBytes: 0 });
        fixture.limitPairs.push({ userId, agentType });
      }
    }
  }
  if (wants('deep_page')) {
    const [userId] = await insertUsers(db, 'deep', 1);
    const spec = { id: randomUUID(), userId, agentType: 'research', active: true, messages: config.deepMessages, minutesAgo: 48 * 60 };
    specs.push({ ...spec, contentBytes: config.deepBytes });
    fixture.deep = { id: spec.id, userId };
  }

  await insertSessions(db, specs);
  if (Object.keys(config.appendMetadata).length > 0) {
    const appendSessions = [...fixture.append.service, ...fixture.append.baseline].map((s) => s.id);
    await db.query('UPDATE chat_sessions SET metadata = $2 WHERE id = ANY($1::uuid[])', [appendSessions, config.appendMetadata]);
  }
  const totalMessages = specs.reduce((sum, s) => sum + s.messages, 0);
  const progress = new Progress('seeding messages', totalMessages);
  await insertMessages([db, ...helpers], specs, progress);
  const withMessages = specs.filter((s) => s.messages > 0).map((s) => s.id);
  await db.query(
    `UPDATE chat_sessions s
        SET last_message_preview = left(m.content, 200), last_message_at = m.created_at, updated_at = m.created_at
       FROM chat_messages m
      WHERE s.id = ANY($1::uuid[]) AND m.session_id = s.id AND m.seq = s.last_seq`,
    [withMessages],
  );
  progress.finish();
  return fixture;
}

/** Fresh statistics and visibility maps, and no checkpoint debt from seeding landing inside a measurement. */
export async function settleAfterSeeding(db: pg.Client): Promise<void> {
  await db.query('VACUUM (ANALYZE) users, chat_sessions, chat_messages, usage_daily');
  await db.query('CHECKPOINT').catch((error: Error) => process.stderr.write(`(CHECKPOINT skipped: ${error.message})\n`));
}

const BENCH_USERS = `SELECT id FROM users WHERE email LIKE 'bench-%@${EMAIL_DOMAIN}'`;

/** The invariants the brief requires, checked after seeding (cheap aggregate queries). */
export async function checkInvariants(db: pg.Client): Promise<void> {
  const checks: [string, string][] = [
    [
      'more than 5 active sessions for a (user, agent type)',
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM chat_sessions WHERE is_active AND deleted_at IS NULL AND user_id IN (${BENCH_USERS})
         GROUP BY user_id, agent_type HAVING count(*) > 5) x`,
    ],
    [
      'session counters differ from its messages',
      `SELECT count(*)::int AS n FROM chat_sessions s
         LEFT JOIN (SELECT session_id, count(*) AS c, max(seq) AS m, min(seq) AS lo FROM chat_messages
                      WHERE user_id IN (${BENCH_USERS}) GROUP BY session_id) x
           ON x.session_id = s.id
        WHERE s.user_id IN (${BENCH_USERS})
          AND (s.message_count <> coalesce(x.c, 0) OR s.last_seq <> coalesce(x.m, 0) OR coalesce(x.lo, 1) <> 1)`,
    ],
  ];
  for (const [what, sql] of checks) {
    const { rows } = await db.query<{ n: number }>(sql);
    if (rows[0].n !== 0) throw new Error(`seed invariant broken: ${rows[0].n} × ${what}`);
  }
}

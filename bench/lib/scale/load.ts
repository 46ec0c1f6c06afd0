import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AGENT_TYPES } from '../seed.js';
import { fillerTexts } from '../text.js';
import type { ScaleConfig } from './config.js';
import { checkDerivedData, deriveFromBaseRows } from './derive.js';

/**
 * The scale bench's data: 1 + otherUsers users; the heavy user H grows step by step (one session S with half
 * of H's messages plus 50, the rest in sessions of 50 messages: 10,000 sessions at 1M), the others carry a
 * fixed background of 10 sessions each, loaded before the first step. Messages fall in the last 90 days,
 * in seq order within each session. The loader writes base rows only; derive.ts computes the rest.
 */
export const EMAIL_PREFIX = 'bench-scale-';
const EMAIL_DOMAIN = 'bench.invalid';
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4'];
const TEXT_VARIANTS = 64;
const CHUNK_ROWS = 20_000;
const OTHER_SESSIONS_PER_USER = 10;
const H_SESSION_MESSAGES = 50;
const GOLDEN = 0.6180339887498949;

/** Words planted in message content (stemmed alike by the english configuration) and in session titles. */
export const PLANTED = {
  /** In messages with seq % 4 ∈ {1, 2}: half of every session's messages, of both roles. */
  half: 'zephyrhalf',
  /** In messages with (seq + the session's salt) % 100 = 50: 1% (of short sessions too). */
  cent: 'zephyrcent',
  /** In S's first loaded message only: exactly one message in the database. */
  solo: 'zephyrsolo',
  /** In the title of 1% of sessions (number % 100 = 7). */
  title: 'kumquat',
};

export interface ScaleWorld {
  heavyUserId: string;
  adminUserId: string;
  sessionS: string;
  /** Every user id but the admin's (H first). */
  userIds: string[];
  otherUserIds: string[];
  /** One active session per other user, for the reads measured during erasure. */
  otherActiveSessions: { userId: string; sessionId: string }[];
  heavySessions: number;
  heavyMessages: number;
  sMessages: number;
  /** Timeline: messages fall between start and start + spanMs. */
  startMs: number;
  spanMs: number;
  finalS: number;
  /** Whether S's first loaded message (the one match of PLANTED.solo) is in. */
  soloPlanted: boolean;
}

interface SessionPlan {
  id: string;
  userId: string;
  agentType: string;
  model: string;
  title: string;
  active: boolean;
  createdMs: number;
}

interface Segment {
  sessionId: string;
  userId: string;
  agentType: string;
  model: string;
  lo: number;
  hi: number;
  salt: number;
  solo: number;
  t0Ms: number;
  dtMs: number;
}

/** 64 texts of 40 to 360 characters (about 200 on average). */
const TEXTS = Array.from({ length: TEXT_VARIANTS }, (_, i) => fillerTexts(1, 40 + ((i * 53) % 320), 1000 + i)[0]);

const INSERT_MESSAGES = `
  INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type, model, prompt_tokens, completion_tokens, created_at, updated_at)
  SELECT p.session_id, p.user_id, g, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END,
         ($11::text[])[1 + (g + p.salt) % ${TEXT_VARIANTS}]
           || CASE WHEN g % 4 IN (1, 2) THEN ' ${PLANTED.half}' ELSE '' END
           || CASE WHEN (g + p.salt) % 100 = 50 THEN ' ${PLANTED.cent}' ELSE '' END
           || CASE WHEN g = p.solo THEN ' ${PLANTED.solo}' ELSE '' END,
         p.agent_type,
         CASE WHEN g % 2 = 0 THEN p.model END,
         CASE WHEN g % 2 = 0 THEN 100 + (g % 97) * 3 END,
         CASE WHEN g % 2 = 0 THEN 20 + (g % 53) * 4 END,
         t.at, t.at
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[], $9::float8[], $10::float8[])
           AS p(session_id, user_id, agent_type, model, lo, hi, salt, solo, t0_ms, dt_ms)
   CROSS JOIN LATERAL generate_series(p.lo, p.hi) g
   CROSS JOIN LATERAL (SELECT to_timestamp((p.t0_ms + (g - 1) * p.dt_ms) / 1000.0) AS at) t`;

const email = (label: string) => `${EMAIL_PREFIX}${label}@${EMAIL_DOMAIN}`;

/** The session loader's connection settings: bulk work, nothing the migrations own is changed. */
export async function tuneForLoading(client: pg.Client): Promise<void> {
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '1GB'`);
  await client.query(`SET work_mem = '256MB'`);
  await client.query(`SET gin_pending_list_limit = '64MB'`);
  await client.query(`SET statement_timeout = 0`);
}

/** Refuses a database holding anything but scale-bench users; empties the user data otherwise. */
export async function resetScaleData(db: pg.Client): Promise<void> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE email NOT LIKE $1`, [email('%')]);
  if (rows[0].n > 0) {
    throw new Error(`the database holds ${rows[0].n} users the scale bench did not make: give it an empty database of its own`);
  }
  await db.query(`TRUNCATE users, chat_sessions, chat_messages, usage_daily CASCADE`);
}

async function insertUsers(db: pg.Client, labels: string[], role: 'user' | 'admin' = 'user'): Promise<string[]> {
  const ids = labels.map(() => randomUUID());
  await db.query(
    `WITH u AS (
       INSERT INTO users (id, email, password_hash, display_name, role)
       SELECT u.id, u.email, 'scrypt$bench', 'Scale ' || u.n, $3 FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS u(id, email, n)
       RETURNING id, email)
     INSERT INTO user_emails (email, user_id) SELECT email, id FROM u`,
    [ids, labels.map(email), role],
  );
  return ids;
}

async function insertSessions(db: pg.Client, plans: SessionPlan[]): Promise<void> {
  for (let i = 0; i < plans.length; i += 10_000) {
    const part = plans.slice(i, i + 10_000);
    await db.query(
      `INSERT INTO chat_sessions (id, user_id, title, agent_type, is_active, deactivated_reason, created_at, updated_at, last_message_at)
       SELECT s.id, s.user_id, s.title, s.agent_type, s.active, CASE WHEN s.active THEN NULL ELSE 'ended' END, t.at, t.at, t.at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::float8[]) AS s(id, user_id, title, agent_type, active, created_ms)
        CROSS JOIN LATERAL (SELECT to_timestamp(s.created_ms / 1000.0) AS at) t`,
      [
        part.map((p) => p.id),
        part.map((p) => p.userId),
        part.map((p) => p.title),
        part.map((p) => p.agentType),
        part.map((p) => p.active),
        part.map((p) => p.createdMs),
      ],
    );
  }
}

/** Inserts the segments' messages in chunks of about CHUNK_ROWS rows, spread over the clients. */
async function insertMessages(clients: pg.Client[], segments: Segment[], onRows: (n: number) => void): Promise<void> {
  const chunks: Segment[][] = [];
  let chunk: Segment[] = [];
  let rows = 0;
  for (const segment of segments) {
    for (let lo = segment.lo; lo <= segment.hi; lo += CHUNK_ROWS) {
      const part = { ...segment, lo, hi: Math.min(segment.hi, lo + CHUNK_ROWS - 1) };
      chunk.push(part);
      rows += part.hi - part.lo + 1;
      if (rows >= CHUNK_ROWS) {
        chunks.push(chunk);
        [chunk, rows] = [[], 0];
      }
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  const column = <K extends keyof Segment>(part: Segment[], key: K) => part.map((s) => s[key]);
  const worker = async (client: pg.Client) => {
    for (let next = chunks.shift(); next; next = chunks.shift()) {
      await client.query(INSERT_MESSAGES, [
        column(next, 'sessionId'),
        column(next, 'userId'),
        column(next, 'agentType'),
        column(next, 'model'),
        column(next, 'lo'),
        column(next, 'hi'),
        column(next, 'salt'),
        column(next, 'solo'),
        column(next, 't0Ms'),
        column(next, 'dtMs'),
        TEXTS,
      ]);
      onRows(next.reduce((sum, s) => sum + s.hi - s.lo + 1, 0));
    }
  };
  await Promise.all(clients.map(worker));
}

/** A spread position in [0, 1) for the n-th session, so sessions added at any step cover the 90 days. */
const spread = (n: number) => (n * GOLDEN) % 1;

/** Users, the admin, S, and the other users' background sessions and messages. */
export async function loadBackground(
  db: pg.Client,
  clients: pg.Client[],
  config: ScaleConfig,
  onRows: (n: number) => void,
): Promise<ScaleWorld> {
  const today = new Date();
  const startMs = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 89 * 86_400_000;
  const spanMs = Date.now() - 3_600_000 - startMs;
  const [heavyUserId] = await insertUsers(db, ['heavy']);
  const [adminUserId] = await insertUsers(db, ['admin'], 'admin');
  const otherUserIds = await insertUsers(
    db,
    Array.from({ length: config.otherUsers }, (_, i) => `other-${i + 1}`),
  );
  const sessionS = randomUUID();
  const finalS = heavyShape(config.steps.at(-1)!).s;
  const plans: SessionPlan[] = [
    {
      id: sessionS,
      userId: heavyUserId,
      agentType: 'primary',
      model: MODELS[0],
      title: 'Heavy session S',
      active: true,
      createdMs: startMs - 1000,
    },
  ];
  const totalSessions = config.otherUsers * OTHER_SESSIONS_PER_USER;
  const perSession = Math.floor(config.otherMessages / totalSessions);
  const extra = config.otherMessages % totalSessions;
  const segments: Segment[] = [];
  const otherActiveSessions: ScaleWorld['otherActiveSessions'] = [];
  for (let u = 0; u < config.otherUsers; u++) {
    for (let i = 0; i < OTHER_SESSIONS_PER_USER; i++) {
      const n = u * OTHER_SESSIONS_PER_USER + i;
      const messages = perSession + (n < extra ? 1 : 0);
      const dtMs = 120_000;
      const t0Ms = startMs + spread(n + 1) * (spanMs - messages * dtMs);
      const plan: SessionPlan = {
        id: randomUUID(),
        userId: otherUserIds[u],
        agentType: AGENT_TYPES[i % AGENT_TYPES.length],
        model: MODELS[n % MODELS.length],
        title: `Session ${n}${n % 100 === 7 ? ` ${PLANTED.title}` : ''}`,
        active: i < AGENT_TYPES.length, // one active session per agent type
        createdMs: t0Ms - 1000,
      };
      plans.push(plan);
      if (i === 0) otherActiveSessions.push({ userId: plan.userId, sessionId: plan.id });
      if (messages > 0) segments.push({ ...segmentOf(plan, 1, messages, n), t0Ms, dtMs });
    }
  }
  await insertSessions(db, plans);
  await insertMessages(clients, segments, onRows);
  return {
    heavyUserId,
    adminUserId,
    sessionS,
    userIds: [heavyUserId, ...otherUserIds],
    otherUserIds,
    otherActiveSessions,
    heavySessions: 1,
    heavyMessages: 0,
    sMessages: 0,
    startMs,
    spanMs,
    finalS,
    soloPlanted: false,
  };
}

function segmentOf(plan: SessionPlan, lo: number, hi: number, salt: number): Omit<Segment, 't0Ms' | 'dtMs'> {
  return { sessionId: plan.id, userId: plan.userId, agentType: plan.agentType, model: plan.model, lo, hi, salt, solo: 0 };
}

/** H with `messages` messages: S holds half plus 50, the rest are sessions of 50 (10,000 sessions at 1M). */
export function heavyShape(messages: number): { s: number; others: number } {
  const others = Math.max(0, Math.floor(messages / 100) - 1);
  return { s: messages - others * H_SESSION_MESSAGES, others };
}

/** Grows H to the step's shape: more messages in S (continuing its seq), new sessions of 50 messages. */
export async function growHeavyUser(clients: pg.Client[], world: ScaleWorld, messages: number, onRows: (n: number) => void): Promise<void> {
  const [db] = clients;
  const shape = heavyShape(messages);
  const segments: Segment[] = [];
  const plans: SessionPlan[] = [];
  for (let j = world.heavySessions - 1; j < shape.others; j++) {
    const dtMs = 60_000;
    const t0Ms = world.startMs + spread(j + 7) * (world.spanMs - H_SESSION_MESSAGES * dtMs);
    const plan: SessionPlan = {
      id: randomUUID(),
      userId: world.heavyUserId,
      agentType: AGENT_TYPES[j % AGENT_TYPES.length],
      model: MODELS[j % MODELS.length],
      title: `Session ${j}${j % 100 === 7 ? ` ${PLANTED.title}` : ''}`,
      active: false,
      createdMs: t0Ms - 1000,
    };
    plans.push(plan);
    segments.push({ ...segmentOf(plan, 1, H_SESSION_MESSAGES, j), t0Ms, dtMs });
  }
  // S continues after its last seq (the bench's own appends included); its timeline is sized for the last step.
  const { rows } = await db.query<{ last_seq: number }>('SELECT last_seq FROM chat_sessions WHERE user_id = $1 AND id = $2', [
    world.heavyUserId,
    world.sessionS,
  ]);
  const from = rows[0].last_seq + 1;
  if (shape.s >= from) {
    const dtMs = world.spanMs / Math.max(1, world.finalS);
    segments.push({
      sessionId: world.sessionS,
      userId: world.heavyUserId,
      agentType: 'primary',
      model: MODELS[0],
      lo: from,
      hi: shape.s,
      salt: 0,
      // The bench's own appends may come first in S (at step 0), so the one match is S's first loaded message.
      solo: world.soloPlanted ? 0 : from,
      t0Ms: world.startMs,
      dtMs,
    });
  }
  await insertSessions(db, plans);
  await insertMessages(clients, segments, onRows);
  world.heavySessions = 1 + shape.others;
  world.soloPlanted ||= shape.s >= from;
}

/** Appends messages lo..hi to one existing session (the caller derives afterwards). */
export async function loadSessionMessages(
  clients: pg.Client[],
  target: { userId: string; sessionId: string; agentType: string; lo: number; hi: number; t0Ms: number; dtMs: number },
): Promise<void> {
  const { lo, hi, t0Ms, dtMs } = target;
  const segment: Segment = {
    sessionId: target.sessionId,
    userId: target.userId,
    agentType: target.agentType,
    model: MODELS[1],
    lo,
    hi,
    salt: 3,
    solo: 0,
    t0Ms: t0Ms - (lo - 1) * dtMs,
    dtMs,
  };
  await insertMessages(clients, [segment], () => undefined);
}

/** Derives, checks and settles after a step's base rows: counters and usage, then VACUUM (ANALYZE). */
export async function finishStep(db: pg.Client, world: ScaleWorld, userIds: string[]): Promise<Record<string, number>> {
  const took = await deriveFromBaseRows(db, userIds);
  await checkDerivedData(db, userIds);
  const { rows } = await db.query<{ h: number; s: number }>(
    `SELECT (SELECT sum(message_count) FROM chat_sessions WHERE user_id = $1)::int AS h,
            (SELECT message_count FROM chat_sessions WHERE user_id = $1 AND id = $2) AS s`,
    [world.heavyUserId, world.sessionS],
  );
  world.heavyMessages = rows[0].h;
  world.sMessages = rows[0].s;
  const started = Date.now();
  await db.query('VACUUM (ANALYZE) users, chat_sessions, chat_messages, usage_daily');
  took.vacuum_analyze = (Date.now() - started) / 1000;
  await db.query('CHECKPOINT').catch(() => undefined);
  return took;
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { API, registerUser } from './support/factories.js';
import { createTestApp, testPool } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';

/**
 * Ready to be distributed by user (issue #17): every key on user data carries the user, and every statement
 * a user's request runs touches that user's rows only. The second half runs the app on a hash-partitioned
 * copy of the schema (PostgreSQL itself refuses a unique key that lacks the partition key) and shows from
 * the partitions' scan counters that a user's requests never read another user's partition.
 */

/** Where each table of user data keeps its user: the distribution column a sharded database would use. */
const DISTRIBUTED_BY: Record<string, string> = {
  users: 'id',
  chat_sessions: 'user_id',
  chat_messages: 'user_id',
  usage_daily: 'user_id',
  usage_daily_totals: 'user_id',
  usage_periods: 'user_id',
  refresh_tokens: 'user_id',
  model_call_reservations: 'user_id',
  erasures: 'user_id',
};
/** Tables that are not one user's data, each with the reason. A new table must be put in one of these lists. */
const NOT_BY_USER: Record<string, string> = {
  user_emails: 'keyed by email: emails are unique across users and login starts from one',
  user_identities: 'keyed by (issuer, subject): what an external token arrives with, leading to its user',
  api_keys: 'service accounts, managed by admins for the whole service; found by the digest of the key a request carries',
  rate_limit_buckets: 'counters per client key (IP or user), shared by all instances, not user data',
  job_leases: 'one row per cluster-wide job (the retention job), held by one instance at a time',
  typeorm_migrations: "TypeORM's bookkeeping",
  typeorm_metadata: "TypeORM's bookkeeping",
};
const SHARDS = 4;
const SCHEMA = 'readiness_shards';

interface Key {
  table: string;
  name: string;
  kind: 'p' | 'u' | 'f';
  columns: string[];
  referenced: string | null;
  referencedColumns: string[] | null;
}

async function keys(db: pg.Pool): Promise<Key[]> {
  const { rows } = await db.query<Key>(`
    SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS kind,
           array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
           c.confrelid::regclass::text AS referenced,
           array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS "referencedColumns"
      FROM pg_constraint c JOIN pg_namespace ns ON ns.oid = c.connamespace
     WHERE ns.nspname = 'public' AND c.contype IN ('p', 'u', 'f')
    UNION ALL
    SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'u',
           array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), NULL, NULL
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace
     WHERE ns.nspname = 'public' AND i.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`);
  return rows.map((key) => ({ ...key, referencedColumns: key.kind === 'f' ? key.referencedColumns : null }));
}

/** What is wrong with the schema for distribution by user: empty when ready. */
function problemsOf(tables: string[], all: Key[]): string[] {
  const problems: string[] = [];
  for (const table of tables) {
    if (!(table in DISTRIBUTED_BY) && !(table in NOT_BY_USER)) problems.push(`${table}: not classified (DISTRIBUTED_BY or NOT_BY_USER)`);
  }
  for (const key of all.filter((k) => k.table in DISTRIBUTED_BY)) {
    const column = DISTRIBUTED_BY[key.table];
    if (!key.columns.includes(column)) problems.push(`${key.table}.${key.name} (${key.columns.join(', ')}) lacks ${column}`);
    if (key.kind === 'f' && key.referenced! in DISTRIBUTED_BY) {
      const at = key.columns.indexOf(column);
      if (at < 0 || key.referencedColumns![at] !== DISTRIBUTED_BY[key.referenced!]) {
        problems.push(`${key.table}.${key.name} does not join ${key.referenced} on its user`);
      }
    }
  }
  for (const table of tables.filter((name) => name in DISTRIBUTED_BY)) {
    if (!all.some((k) => k.table === table && k.kind === 'p')) problems.push(`${table}: no primary key`);
  }
  return problems;
}

describe('readiness for distribution by user', () => {
  const db = testPool();
  afterAll(() => db.end());

  it('every primary key, unique key and foreign key on user data carries the user', async () => {
    const { rows } = await db.query<{ table: string }>(
      `SELECT relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
    );
    const all = await keys(db);
    expect(
      problemsOf(
        rows.map((r) => r.table),
        all,
      ),
    ).toEqual([]);
    // The check can fail: the keys of the first schema (before KeysCarryTheUser) are reported.
    const before: Key[] = [
      { table: 'chat_messages', name: 'chat_messages_pkey', kind: 'p', columns: ['id'], referenced: null, referencedColumns: null },
      {
        table: 'chat_messages',
        name: 'chat_messages_session_id_fkey',
        kind: 'f',
        columns: ['session_id'],
        referenced: 'chat_sessions',
        referencedColumns: ['id'],
      },
    ];
    expect(problemsOf(['chat_messages', 'audit_log', 'usage_daily'], before)).toEqual([
      'audit_log: not classified (DISTRIBUTED_BY or NOT_BY_USER)',
      'chat_messages.chat_messages_pkey (id) lacks user_id',
      'chat_messages.chat_messages_session_id_fkey (session_id) lacks user_id',
      'chat_messages.chat_messages_session_id_fkey does not join chat_sessions on its user',
      'usage_daily: no primary key',
    ]);
  });
});

/** Indexes on user data that do not carry the user, each with the reason. */
const INDEXES_ACROSS_USERS: Record<string, string> = {
  usage_periods_span_start_idx: "/admin/usage reads one block of every user's periods (README, Usage accounting)",
};

describe('indexes on user data', () => {
  const db = testPool();
  afterAll(() => db.end());

  it('carry the user too (retention’s cross-user candidates included), but for the listed exceptions', async () => {
    const { rows } = await db.query<{ table: string; name: string; columns: string[] }>(`
      SELECT t.relname AS table, x.relname AS name,
             array(SELECT a.attname::text FROM unnest(i.indkey) k(n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) AS columns
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace
       WHERE ns.nspname = 'public'`);
    const lacking = rows.filter((r) => r.table in DISTRIBUTED_BY && !r.columns.includes(DISTRIBUTED_BY[r.table])).map((r) => r.name);
    expect(lacking.sort()).toEqual(Object.keys(INDEXES_ACROSS_USERS).sort());
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['chat_sessions_retention_deleted_idx', 'chat_sessions_retention_anonymize_idx']),
    );
  });
});

/**
 * The schema again in its own PostgreSQL schema, each table of user data hash-partitioned SHARDS ways by its
 * user column, with the same keys, indexes and foreign keys (partitioned tables accept only keys that
 * contain the partition key, so creating it is a check in itself).
 */
async function createShardedCopy(db: pg.Client): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  await db.query(`SET search_path = ${SCHEMA}, public`);
  for (const [table, column] of Object.entries(DISTRIBUTED_BY)) {
    await db.query(`CREATE TABLE ${SCHEMA}.${table} (LIKE public.${table} INCLUDING ALL) PARTITION BY HASH (${column})`);
    for (let shard = 0; shard < SHARDS; shard++) {
      await db.query(
        `CREATE TABLE ${SCHEMA}.${table}_${shard} PARTITION OF ${SCHEMA}.${table} FOR VALUES WITH (MODULUS ${SHARDS}, REMAINDER ${shard})`,
      );
    }
  }
  await db.query(`CREATE TABLE ${SCHEMA}.user_emails (LIKE public.user_emails INCLUDING ALL)`);
  const { rows } = await db.query<{ table: string; name: string; definition: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' AND c.contype = 'f'`,
  );
  for (const fk of rows) {
    if (fk.table in DISTRIBUTED_BY || fk.table === 'user_emails') {
      await db.query(`ALTER TABLE ${SCHEMA}.${fk.table.replace(/^public\./, '')} ADD CONSTRAINT ${fk.name} ${fk.definition}`);
    }
  }
}

/** seq_scan + idx_scan of every partition, by table and remainder. */
async function partitionScans(db: pg.Pool): Promise<Map<string, number>> {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<{ relname: string; scans: string }>(
    `SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans FROM pg_stat_user_tables WHERE schemaname = $1`,
    [SCHEMA],
  );
  return new Map(rows.filter((r) => /_\d+$/.test(r.relname)).map((r) => [r.relname, Number(r.scans)]));
}

describe('a user’s requests on tables hash-partitioned by user', () => {
  const db = testPool();
  let userId: string;
  let before: Map<string, number>;

  beforeAll(async () => {
    const ddl = new pg.Client({ connectionString: testDatabaseUrl() });
    await ddl.connect();
    try {
      await createShardedCopy(ddl);
    } finally {
      await ddl.end(); // a backend's statistics are flushed when it exits
    }
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await db.end();
  });

  it('reach only the partition of that user, on every table', async () => {
    const url = new URL(testDatabaseUrl());
    url.searchParams.set('options', `-c search_path=${SCHEMA},public`);
    before = await partitionScans(db);
    // As the owner of the sharded copy, whatever TEST_DATABASE_RLS says: this is about where statements go, not who sees what.
    const t = await createTestApp({ DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '2', DATABASE_RLS: 'off' });
    try {
      const user = await registerUser(t);
      userId = user.id;
      const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => request(t.server)[method](`${API}${path}`).set(user.auth);
      await request(t.server).post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
      const refreshed = await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: user.refreshToken }).expect(200);
      const sessions: string[] = [];
      for (let i = 0; i < 6; i++)
        sessions.push(
          (
            await api('post', '/sessions')
              .send({ title: `t${i}` })
              .expect(201)
          ).body.id,
        );
      const [evicted, , , , , live] = sessions;
      const first = await api('post', `/sessions/${live}/messages`).send({ role: 'user', content: 'partition zebra' }).expect(201);
      await api('post', `/sessions/${live}/messages/batch`)
        .send({
          messages: [
            { role: 'assistant', content: 'reply', usage: { prompt_tokens: 3, completion_tokens: 4 } },
            { role: 'tool', content: 'x' },
          ],
        })
        .expect(201);
      await api('post', '/chat').send({ session_id: live, message: 'hello zebra' }).expect(201);
      await api('post', '/chat').send({ message: 'a new session by chat' }).expect(201);
      await api('get', `/sessions/${live}/messages?page_size=2`).expect(200);
      const paged = await api('get', `/sessions/${live}/messages?page_size=1&role=user`).expect(200);
      await api('get', `/sessions/${live}/messages?page_size=1&role=user&cursor=${paged.body.next_cursor}`).expect(200);
      await api('get', `/sessions/${live}`).expect(200);
      await api('get', `/sessions/${live}/stats`).expect(200);
      await api('get', '/sessions?search=t&is_active=true').expect(200);
      await api('get', `/sessions?metadata=${encodeURIComponent('{"k":[1]}')}&is_active=true`).expect(200);
      await api('get', `/sessions/${live}/messages?metadata=${encodeURIComponent('{"k":1}')}&role=user`).expect(200);
      await api('get', '/messages/search?q=zebra').expect(200);
      await api('get', `/messages/search?q=zebra&session_id=${live}`).expect(200);
      await api('get', `/messages/${first.body.id}`).expect(200);
      await api('patch', `/messages/${first.body.id}`).send({ content: 'edited zebra' }).expect(200);
      await api('delete', `/messages/${first.body.id}`).expect(204);
      await api('get', '/usage?group_by=day').expect(200);
      await api('get', '/usage?group_by=session').expect(200);
      await api('get', '/usage/stats').expect(200);
      await api('get', '/usage/quota').expect(200);
      await api('get', '/users/me/export').expect(200);
      await api('patch', `/sessions/${evicted}`).send({ is_active: true }).expect(200);
      await api('post', `/sessions/${live}/end`).expect(200);
      await api('delete', `/sessions/${live}`).expect(204);
      await api('post', `/sessions/${live}/restore`).expect(200);
      await api('delete', `/sessions/${live}/messages`).expect(204);
      await api('delete', `/sessions/${sessions[1]}?permanent=true`).expect(204);
      await api('delete', '/sessions?confirm=true').expect(200);
      await api('delete', '/sessions?confirm=true&permanent=true').expect(200);
      await api('patch', '/users/me').send({ display_name: 'Shard' }).expect(200);
      await request(t.server).post(`${API}/auth/logout`).set(user.auth).send({ refresh_token: refreshed.body.refresh_token }).expect(204);
      await api('delete', '/users/me').expect(204);
    } finally {
      await t.close(); // its connections close, and their statistics are flushed
    }

    const shards = await db.query<{ shard: number }>(
      `SELECT r AS shard FROM generate_series(0, ${SHARDS - 1}) r WHERE satisfies_hash_partition($1::regclass, ${SHARDS}, r, $2::uuid)`,
      [`${SCHEMA}.chat_sessions`, userId],
    );
    const own = shards.rows[0].shard;
    let after = await partitionScans(db);
    for (let wait = 0; wait < 50 && after.get(`chat_messages_${own}`) === before.get(`chat_messages_${own}`); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await partitionScans(db);
    }
    const scanned = (name: string) => after.get(name)! - before.get(name)!;
    const elsewhere = [...after.keys()].filter((name) => !name.endsWith(`_${own}`) && scanned(name) > 0);
    expect(elsewhere.map((name) => `${name}: ${scanned(name)} scans`)).toEqual([]);
    // The user's own partitions were read, so the counters did move (the check above can fail).
    for (const table of ['users', 'chat_sessions', 'chat_messages', 'usage_daily', 'refresh_tokens']) {
      expect(scanned(`${table}_${own}`)).toBeGreaterThan(0);
    }
  });
});

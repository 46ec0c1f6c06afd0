import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { AddSessionCounters1795306400000 } from '../src/database/migrations/1795306400000-AddSessionCounters.js';
import { countersAndRecount } from './support/session-counters.js';
import { testDatabaseUrl } from './support/test-env.js';

/** The counters migration on a database that already holds messages: it backfills them, and down() drops them. */
describe('the session counters migration', () => {
  const name = `counters_${randomBytes(4).toString('hex')}`;
  const serverUrl = new URL(testDatabaseUrl());
  const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  const admin = new pg.Client({ connectionString: Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString() });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  let dataSource: DataSource;
  const migration = new AddSessionCounters1795306400000();

  const inTransaction = async (step: (runner: QueryRunner) => Promise<void>) => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await step(runner);
    await runner.commitTransaction();
    await runner.release();
  };
  const columns = async () =>
    (
      await db.query(
        `SELECT column_name FROM information_schema.columns
          WHERE table_name = 'chat_sessions' AND column_name IN ('user_message_count', 'prompt_tokens', 'first_message_at')`,
      )
    ).rows.length;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    dataSource = new DataSource(
      buildDataSourceOptions({
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_SIZE: 1,
        DATABASE_CONNECT_TIMEOUT_MS: 5000,
        DATABASE_STATEMENT_TIMEOUT_MS: 60_000,
      }),
    );
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('backfills every session from its messages in up(), and down() drops the counters again', async () => {
    await inTransaction((runner) => migration.down(runner));
    expect(await columns()).toBe(0);

    // Data written before the migration: two sessions with messages, one without, one whose counters drifted.
    const [{ id: userId }] = (await db.query(`INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id`)).rows;
    const sessions = (
      await db.query(
        `INSERT INTO chat_sessions (user_id, agent_type, message_count, total_tokens, last_seq)
         SELECT $1, 'primary', n, 0, n FROM unnest(ARRAY[7, 3, 0, 5]) AS n RETURNING id, last_seq`,
        [userId],
      )
    ).rows as { id: string; last_seq: number }[];
    for (const session of sessions) {
      await db.query(
        `INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type, prompt_tokens, completion_tokens, created_at)
         SELECT $1, $2, g, (ARRAY['user', 'assistant', 'system', 'tool'])[1 + g % 4], 'm' || g, 'primary',
                CASE WHEN g % 2 = 0 THEN g END, CASE WHEN g % 2 = 0 THEN 1 END, now() - (10 - g) * interval '1 minute'
           FROM generate_series(1, $3::int) AS g`,
        [session.id, userId, session.last_seq],
      );
    }
    await db.query(`UPDATE chat_sessions SET total_tokens = 0`);
    await db.query(`UPDATE chat_sessions SET message_count = 9 WHERE id = $1`, [sessions[3].id]);
    await db.query(`INSERT INTO chat_sessions (user_id, agent_type, message_count, total_tokens) VALUES ($1, 'primary', 2, 4)`, [userId]);

    await inTransaction((runner) => migration.up(runner));
    const all = (await db.query('SELECT id FROM chat_sessions')).rows as { id: string }[];
    expect(all).toHaveLength(5);
    for (const { id } of all) {
      const { kept, recounted } = await countersAndRecount(db, id);
      expect(kept).toEqual(recounted);
    }
    expect((await countersAndRecount(db, sessions[0].id)).kept).toMatchObject({
      message_count: 7,
      user_message_count: 1,
      assistant_message_count: 2,
      system_message_count: 2,
      tool_message_count: 2,
      prompt_tokens: 2 + 4 + 6,
      completion_tokens: 3,
      total_tokens: 15,
    });
    const indexes = await db.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'chat_messages_user_session_role_seq_idx'`);
    expect(indexes.rows).toHaveLength(1);

    await inTransaction((runner) => migration.down(runner));
    expect(await columns()).toBe(0);
    await inTransaction((runner) => migration.up(runner));
    expect(await columns()).toBe(3);
  });
});

import { DataSource } from 'typeorm';
import { MIGRATION_LOCK } from '../src/database/migration-runner.js';
import { API, registerUser } from './support/factories.js';
import { call } from './support/http.js';
import { createTestApp, startTestApp, testPool, type TestApp } from './support/test-app.js';
import { testTransactionPooling } from './support/test-env.js';

/**
 * What the app needs to run behind PgBouncer in transaction mode (scripts/ci-pgbouncer.sh runs this spec
 * through one): each transaction sets its own timeouts, and nothing it sets outlives it. Directly
 * connected, the same holds; only the session settings sent at connect differ.
 */
describe('timeouts per transaction, no session state', () => {
  const timeouts = { DATABASE_STATEMENT_TIMEOUT_MS: '321', DATABASE_LOCK_TIMEOUT_MS: '20000' };
  const db = testPool();
  let t: TestApp & { url: string };
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp(timeouts);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  const settings = `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
    current_setting('idle_in_transaction_session_timeout') AS idle`;

  it("sets the app's timeouts in every transaction, and leaves none on the connection", async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const [before] = await runner.query(settings);
      await runner.startTransaction();
      const [inside] = await runner.query(settings);
      await runner.commitTransaction();
      const [after] = await runner.query(settings);
      expect(inside).toEqual({ statement: '321ms', lock: '20s', idle: '1min' });
      expect(after).toEqual(before);
      // Sent at connect only when the connection is the app's own; a pooler's server connections keep the role's.
      expect(before.statement === '321ms').toBe(!testTransactionPooling());
    } finally {
      await runner.release();
    }
  });

  it('ends a statement inside a transaction after DATABASE_STATEMENT_TIMEOUT_MS', async () => {
    await expect(dataSource.transaction((manager) => manager.query('SELECT pg_sleep(2)'))).rejects.toMatchObject({
      driverError: expect.objectContaining({ code: '57014' }),
    });
  });

  it("answers 503 when a request's transaction runs past DATABASE_STATEMENT_TIMEOUT_MS (lock_timeout is far off)", async () => {
    const user = await registerUser(t);
    const holder = await db.connect();
    try {
      // A new session's foreign key check waits for the user's row, which this transaction holds.
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [user.id]);
      const started = performance.now();
      const res = await call(t.url, 'POST', `${API}/sessions`, user.accessToken, {});
      expect([res.status, res.body.code, res.headers.get('retry-after')]).toEqual([503, 'service_unavailable', '1']);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await call(t.url, 'POST', `${API}/sessions`, user.accessToken, {})).status).toBe(201);
  });
});

describe('migrations at start', () => {
  const db = testPool();
  afterAll(() => db.end());

  it('two instances starting together take turns, and leave no lock behind', async () => {
    const instances = await Promise.all([createTestApp({ MIGRATIONS_RUN: 'true' }), createTestApp({ MIGRATIONS_RUN: 'true' })]);
    await Promise.all(instances.map((i) => i.close()));
    const held = await db.query(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND objsubid = 1 AND (classid::bigint << 32 | objid::bigint) = $1`,
      [MIGRATION_LOCK],
    );
    expect(held.rows[0].n).toBe(0);
  });
});

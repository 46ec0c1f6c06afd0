/**
 * `npm run bench:rls-overhead`: what DATABASE_RLS=on adds per statement, measured in-process without HTTP, so
 * little else is in the numbers. On a fresh embedded database: the same data source options the app uses, once
 * as the owner (RLS off) and once as chat_app (RLS on), in alternating blocks. Statements run as 10 users in
 * turn, so a pooled connection nearly always changes user (the costly case), sequentially and 8 at a time;
 * then the same for transactions (a history page read in a transaction). Prints the mean per statement.
 */
import 'reflect-metadata';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { provisionAppRole } from '../src/database/row-security/app-role.js';
import { asUser } from '../src/database/row-security/row-security-context.js';
import { TransactionSettings } from '../src/database/transaction-settings.js';
import { RESULTS_DIR } from './lib/paths.js';

const USERS = 10;
const BLOCKS = 6;
const PER_BLOCK = 2000;
const PAGE = `SELECT id, seq, content FROM chat_messages WHERE user_id = $1 AND session_id = $2 ORDER BY seq DESC LIMIT 50`;

const options = (url: string, rls: boolean) =>
  buildDataSourceOptions({
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: 8,
    DATABASE_CONNECT_TIMEOUT_MS: 5000,
    DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
    DATABASE_RLS: rls ? 'on' : 'off',
  });

/** The app's own subscriber, so a transaction sends its SET LOCALs (and, with RLS, its scope) as the app does. */
function withTransactionSettings(ds: DataSource, rls: boolean): DataSource {
  const env: Record<string, unknown> = {
    DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
    DATABASE_LOCK_TIMEOUT_MS: 2000,
    DATABASE_RLS: rls ? 'on' : 'off',
  };
  void new TransactionSettings(ds, { get: (key: string) => env[key] } as never).onModuleInit();
  return ds;
}

async function seed(owner: DataSource): Promise<{ user: string; session: string }[]> {
  const rows: { user: string; session: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const [{ id: user }] = await owner.query(`INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id`, [
      `o${i}@example.com`,
    ]);
    const [{ id: session }] = await owner.query(
      `INSERT INTO chat_sessions (user_id, title, agent_type) VALUES ($1, 't', 'primary') RETURNING id`,
      [user],
    );
    await owner.query(
      `INSERT INTO chat_messages (session_id, user_id, seq, role, content, agent_type)
       SELECT $1, $2, g, 'user', 'message number ' || g, 'primary' FROM generate_series(1, 1000) g`,
      [session, user],
    );
    rows.push({ user, session });
  }
  await owner.query('VACUUM ANALYZE');
  return rows;
}

/** Mean ms per statement over `count` statements, `parallel` at a time, users in turn. */
async function timeBlock(
  ds: DataSource,
  targets: { user: string; session: string }[],
  parallel: number,
  inTransaction: boolean,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < PER_BLOCK) {
      const { user, session } = targets[next++ % targets.length];
      await asUser(user, () => (inTransaction ? ds.transaction((tx) => tx.query(PAGE, [user, session])) : ds.query(PAGE, [user, session])));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return ((performance.now() - started) / PER_BLOCK) * parallel;
}

async function main(): Promise<void> {
  const embedded = new EmbeddedPostgres(path.join(RESULTS_DIR, '..', '..', '.data', 'bench-rls-overhead'), () => undefined);
  const ownerUrl = await embedded.start({ fresh: true });
  try {
    const owner = await new DataSource(options(ownerUrl, false)).initialize();
    await owner.runMigrations({ transaction: 'each' });
    const appUrl = await provisionAppRole(ownerUrl);
    for (const table of owner.entityMetadatas.map((e) => e.tableName))
      await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO chat_app`);
    const targets = await seed(owner);
    const off = withTransactionSettings(owner, false);
    const on = withTransactionSettings(await new DataSource(options(appUrl, true)).initialize(), true);
    for (const [label, parallel, tx] of [
      ['statement, 1 at a time', 1, false],
      ['statement, 8 at a time', 8, false],
      ['transaction, 8 at a time', 8, true],
    ] as const) {
      const means = { off: [] as number[], on: [] as number[] };
      for (let block = 0; block < BLOCKS; block++) {
        for (const mode of block % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          means[mode].push(await timeBlock(mode === 'off' ? off : on, targets, parallel, tx));
        }
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      const [a, b] = [median(means.off), median(means.on)];
      process.stdout.write(`${label.padEnd(26)} off ${a.toFixed(3)} ms  on ${b.toFixed(3)} ms  on/off ${(b / a).toFixed(2)}\n`);
    }
    await on.destroy();
    await owner.destroy();
  } finally {
    await embedded.stop();
  }
}

await main();

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { testDatabaseUrl } from './support/test-env.js';

/** Every migration goes up, all the way down, and up again on an empty database. */
describe('migrations', () => {
  const name = `migrations_${randomBytes(4).toString('hex')}`;
  const serverUrl = new URL(testDatabaseUrl());
  const admin = new pg.Client({ connectionString: Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString() });
  let dataSource: DataSource;

  const tables = async () =>
    (await dataSource.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map(
      (r: { tablename: string }) => r.tablename,
    );

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    dataSource = new DataSource(
      buildDataSourceOptions({
        DATABASE_URL: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString(),
        DATABASE_POOL_SIZE: 1,
        DATABASE_CONNECT_TIMEOUT_MS: 5000,
        DATABASE_STATEMENT_TIMEOUT_MS: 60_000,
      }),
    );
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('runs up, down and up again', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name));
    const schema = await tables();
    expect(schema).toEqual(expect.arrayContaining(['users', 'refresh_tokens', 'typeorm_migrations']));

    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    // What remains is TypeORM's own: its migration log and the generated-column registry its runner keeps.
    expect(await tables()).toEqual(['typeorm_metadata', 'typeorm_migrations']);
    await expect(dataSource.query('SELECT count(*)::int AS rows FROM typeorm_metadata')).resolves.toEqual([{ rows: 0 }]);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(await tables()).toEqual(schema);
    expect(await dataSource.showMigrations()).toBe(false);
  });
});

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { testDatabaseUrl } from './support/test-env.js';

/**
 * The entities are the schema: on the migrated database TypeORM's schema builder finds nothing to change,
 * so `npm run migration:generate` writes only what an entity change adds, never drops a column, index,
 * unique, check or foreign key the migrations made.
 */
describe('entities and migrations', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource(
      buildDataSourceOptions({
        DATABASE_URL: testDatabaseUrl(),
        DATABASE_POOL_SIZE: 1,
        DATABASE_CONNECT_TIMEOUT_MS: 5000,
        DATABASE_STATEMENT_TIMEOUT_MS: 60_000,
      }),
    );
    await dataSource.initialize();
  });

  afterAll(() => dataSource.destroy());

  it('describe the same schema: the schema builder has no up-queries for a migrated database', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    expect(upQueries.map((query) => query.query)).toEqual([]);
  });
});

import 'reflect-metadata';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { provisionAppRole } from '../../src/database/row-security/app-role.js';
import { TEST_APP_DATABASE_URL_VAR, TEST_DATABASE_URL_VAR, testTransactionPooling } from './test-env.js';

declare global {
  var embeddedTestDatabase: EmbeddedPostgres | undefined;
}

/**
 * One database for the whole run: TEST_DATABASE_URL when set, otherwise a fresh embedded server under
 * .data/test. Migrated once here (through the pooler too, when TEST_DATABASE_TRANSACTION_POOLING says
 * there is one); specs isolate themselves by creating their own users. TEST_DATABASE_RLS=on runs every
 * spec's app with row-level security, connected as a role of its own (scripts/ci-rls.sh).
 */
export default async function globalSetup(): Promise<void> {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    globalThis.embeddedTestDatabase = new EmbeddedPostgres(path.resolve('.data/test'), () => undefined);
    url = await globalThis.embeddedTestDatabase.start({ fresh: true });
  }
  const dataSource = new DataSource(
    buildDataSourceOptions({
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: 2,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
      DATABASE_STATEMENT_TIMEOUT_MS: 60_000,
      DATABASE_TRANSACTION_POOLING: testTransactionPooling(),
    }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  process.env[TEST_DATABASE_URL_VAR] = url;
  // The app's own role for DATABASE_RLS=on (the whole run under TEST_DATABASE_RLS=on, or the spec that tests the policies).
  process.env[TEST_APP_DATABASE_URL_VAR] = await provisionAppRole(url);
}

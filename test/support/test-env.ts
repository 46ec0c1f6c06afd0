/** Set by the global setup for the workers: the migrated database every spec uses. */
export const TEST_DATABASE_URL_VAR = 'CHAT_HISTORY_TEST_DATABASE_URL';

/** Set by the global setup: the same database as the app's own role (`chat_app`), for DATABASE_RLS=on. */
export const TEST_APP_DATABASE_URL_VAR = 'CHAT_HISTORY_TEST_APP_DATABASE_URL';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** TEST_DATABASE_TRANSACTION_POOLING=true: TEST_DATABASE_URL is a transaction pooler (scripts/ci-pgbouncer.sh). */
export function testTransactionPooling(): boolean {
  return process.env.TEST_DATABASE_TRANSACTION_POOLING === 'true';
}

export function testDatabaseUrl(): string {
  const url = process.env[TEST_DATABASE_URL_VAR];
  if (!url) throw new Error(`${TEST_DATABASE_URL_VAR} is not set: run the specs through jest's global setup`);
  return url;
}

export function testAppDatabaseUrl(): string {
  const url = process.env[TEST_APP_DATABASE_URL_VAR];
  if (!url) throw new Error(`${TEST_APP_DATABASE_URL_VAR} is not set: run the specs through jest's global setup`);
  return url;
}

/** TEST_DATABASE_RLS=on: every test app runs with DATABASE_RLS=on unless the spec says otherwise (scripts/ci-rls.sh). */
export function testRowSecurity(): boolean {
  return process.env.TEST_DATABASE_RLS === 'on';
}

/** DATABASE_RLS=on on the test database, as the app's own role. */
export function rowSecurityEnv(): Record<string, string> {
  return { DATABASE_RLS: 'on', DATABASE_APP_URL: testAppDatabaseUrl() };
}

/** `url` (another database or server) with the credentials of the app's role in `appUrl`. */
export function asAppRole(url: string, appUrl = testAppDatabaseUrl()): string {
  const [target, app] = [new URL(url), new URL(appUrl)];
  target.username = app.username;
  target.password = app.password;
  return target.toString();
}

/** Under TEST_DATABASE_RLS=on, the app's role for the database the spec chose (its own, when it has one). */
function runWideRowSecurity(env: Record<string, string>, overrides: Record<string, string>): Record<string, string> {
  if (!testRowSecurity() || env.DATABASE_RLS === 'off') return env;
  return { ...env, DATABASE_RLS: 'on', DATABASE_APP_URL: overrides.DATABASE_APP_URL ?? asAppRole(env.DATABASE_URL) };
}

/** The environment of every test app; a spec passes overrides for what it exercises. The host's env is not read. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return runWideRowSecurity(baseTestEnv(overrides), overrides);
}

function baseTestEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_POOL_SIZE: '5',
    DATABASE_TRANSACTION_POOLING: String(testTransactionPooling()),
    MIGRATIONS_RUN: 'false',
    JWT_SECRET: TEST_JWT_SECRET,
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    // No background erasure worker: specs share one database, and each finishes its own users' erasures
    // itself (ErasureWorker.drainFor) when it checks what was deleted.
    ERASURE_INTERVAL_MS: '0',
    // No scheduled retention either: it works across users, so only the retention spec runs it, on its own users.
    RETENTION_SCHEDULE: 'off',
    ...overrides,
  };
}

/** Set by the global setup for the workers: the migrated database every spec uses. */
export const TEST_DATABASE_URL_VAR = 'CHAT_HISTORY_TEST_DATABASE_URL';

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

/** The environment of every test app; a spec passes overrides for what it exercises. The host's env is not read. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
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

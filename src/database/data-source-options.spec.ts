import { buildDataSourceOptions } from './data-source-options.js';

/** The connection settings node-postgres turns into startup parameters (the rest configure the pool and client). */
function startupParameters(pooling: boolean): string[] {
  const options = buildDataSourceOptions({
    DATABASE_URL: 'postgres://app@db:6432/chat',
    DATABASE_POOL_SIZE: 10,
    DATABASE_CONNECT_TIMEOUT_MS: 3000,
    DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
    DATABASE_TRANSACTION_POOLING: pooling,
  });
  const poolAndClient = new Set(['max', 'connectionTimeoutMillis', 'Client']);
  return Object.keys((options as { extra: object }).extra)
    .filter((key) => !poolAndClient.has(key))
    .sort();
}

describe('startup parameters', () => {
  it('behind a transaction pooler: only application_name, which PgBouncer accepts', () => {
    expect(startupParameters(true)).toEqual(['application_name']);
  });

  it('on a connection of its own: the session timeouts too', () => {
    expect(startupParameters(false)).toEqual(['application_name', 'idle_in_transaction_session_timeout', 'statement_timeout']);
  });
});

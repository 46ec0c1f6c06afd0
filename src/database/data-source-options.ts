import pg from 'pg';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { Env } from '../config/env.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { rowSecurityClient } from './row-security/row-security-client.js';

type DatabaseEnv = Pick<Env, 'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_CONNECT_TIMEOUT_MS' | 'DATABASE_STATEMENT_TIMEOUT_MS'> &
  Partial<Pick<Env, 'DATABASE_POOL_QUEUE_MS' | 'DATABASE_TRANSACTION_POOLING' | 'DATABASE_RLS'>>;

/** How long a transaction may sit idle before PostgreSQL ends it: never shorter than a statement may run. */
export function idleInTransactionTimeoutMs(statementTimeoutMs: number): number {
  return Math.max(statementTimeoutMs, 60_000);
}

/**
 * Session settings sent at connect, when the connection is the app's own. A transaction pooler refuses
 * them (PgBouncer: "unsupported startup parameter") and hands each transaction whichever server connection
 * is free, so there every transaction sets its own (TransactionSettings) and statements outside one take
 * the database role's statement_timeout (README, "Behind PgBouncer"). application_name PgBouncer accepts.
 */
function sessionSettings(env: DatabaseEnv): Record<string, number> {
  if (env.DATABASE_TRANSACTION_POOLING) return {};
  return {
    statement_timeout: env.DATABASE_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: idleInTransactionTimeoutMs(env.DATABASE_STATEMENT_TIMEOUT_MS),
  };
}

/**
 * pg-pool has one timeout for two waits: a free pooled connection, and a new connection to the server.
 * They mean different things: under a burst the first is ordinary queueing, the second a database that
 * cannot be reached. The pool gets the queue deadline; its clients (this class) the connect deadline.
 */
function clientWithConnectTimeout(connectTimeoutMs: number): typeof pg.Client {
  return class ClientWithConnectTimeout extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
    }
  };
}

/** With DATABASE_RLS=on (and `url` the app's role), every connection carries the caller to the policies. */
function clientClass(env: DatabaseEnv): typeof pg.Client {
  const client = clientWithConnectTimeout(env.DATABASE_CONNECT_TIMEOUT_MS);
  return env.DATABASE_RLS === 'on' ? rowSecurityClient(client) : client;
}

/**
 * The one description of how to reach the database, used by the app (TypeOrmModule) and by the TypeORM CLI
 * (ormconfig.ts). The schema comes only from migrations: synchronize stays off everywhere.
 */
export function buildDataSourceOptions(env: DatabaseEnv & { DATABASE_URL: string }): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    url: env.DATABASE_URL,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+; creating extensions needs privileges we should not ask for.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    parseInt8: true,
    logging: false,
    extra: {
      max: env.DATABASE_POOL_SIZE,
      // Wait in line for a pooled connection up to DATABASE_POOL_QUEUE_MS (a burst queues, it does not fail),
      // but fail fast (503) when a new connection cannot be made within DATABASE_CONNECT_TIMEOUT_MS.
      connectionTimeoutMillis: Math.max(env.DATABASE_POOL_QUEUE_MS ?? 0, env.DATABASE_CONNECT_TIMEOUT_MS),
      Client: clientClass(env),
      application_name: 'chat-history-service',
      ...sessionSettings(env),
    },
  };
}

/**
 * The app's replicas (DATABASE_READ_URLS), merged over buildDataSourceOptions: TypeORM then keeps one pool
 * per server, each of DATABASE_POOL_SIZE with the primary's client settings. `defaultMode: 'master'` keeps
 * every statement on the primary unless it runs on a query runner opened in 'slave' mode, which only
 * LagTolerantReads does. The TypeORM CLI never sees replicas.
 */
export function readReplicaOptions(
  primaryUrl: string,
  readUrls: readonly string[],
): Pick<PostgresDataSourceOptions, 'url' | 'replication'> {
  if (readUrls.length === 0) return {};
  return {
    url: undefined,
    replication: { master: { url: primaryUrl }, slaves: readUrls.map((url) => ({ url })), defaultMode: 'master' },
  };
}

import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { assertBoundByPolicies, grantAppRole } from './row-security/app-role.js';

/** Any fixed number; instances starting together wait for each other here instead of migrating twice. */
export const MIGRATION_LOCK = 7_316_204_511;

/**
 * Runs pending migrations at start (MIGRATIONS_RUN), one instance at a time, before any request is served:
 * all of them in one transaction that first takes a transaction-scoped lock. On one connection, so behind
 * a transaction pooler (PgBouncer) the lock and the migrations share one server connection, and the lock
 * ends with the transaction. A session lock there could be taken on one server connection and "released"
 * on another, and the instances waiting for it must not hold the connections the migrating one needs.
 * (A migration that must run outside a transaction, such as CREATE INDEX CONCURRENTLY, cannot run here.)
 *
 * With DATABASE_RLS=on the app's pool is its own role's, which may not migrate: the same transaction then
 * runs on one connection of the owner's (DATABASE_URL), closed afterwards, and also grants the app's role
 * what it lacks on the app's tables (also with MIGRATIONS_RUN=false). Then the app's role is checked to be
 * bound by the policies, or the service refuses to start.
 */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async onModuleInit(): Promise<void> {
    const migrate = this.config.get('MIGRATIONS_RUN', { infer: true });
    if (this.config.get('DATABASE_RLS', { infer: true }) !== 'on') {
      if (migrate) await this.underLock(this.dataSource, (runner) => this.migrate(runner));
      return;
    }
    const [{ role }] = (await this.dataSource.query('SELECT current_user AS role')) as { role: string }[];
    const owner = new DataSource(this.ownerOptions());
    await owner.initialize();
    try {
      await this.underLock(owner, async (runner) => {
        if (migrate) await this.migrate(runner);
        const tables = this.dataSource.entityMetadatas.map((entity) => entity.tableName);
        const granted = await grantAppRole(runner, role, tables);
        if (granted.length > 0) this.logger.log(`Granted ${role} access to ${granted.join(', ')}`);
      });
    } finally {
      await owner.destroy();
    }
    await assertBoundByPolicies(this.dataSource);
    this.logger.log(`Row-level security on: the app connects as ${role}`);
  }

  private async underLock(dataSource: DataSource, work: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // Waiting for another instance's migrations is bounded by statement_timeout only; ours then run under lock_timeout again.
      await runner.query('SET LOCAL lock_timeout = 0');
      await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await runner.query(`SET LOCAL lock_timeout = ${this.config.get('DATABASE_LOCK_TIMEOUT_MS', { infer: true })}`);
      await work(runner);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  private async migrate(runner: QueryRunner): Promise<void> {
    const executor = new MigrationExecutor(runner.connection, runner);
    executor.transaction = 'all';
    const applied = await executor.executePendingMigrations();
    for (const migration of applied) this.logger.log(`Applied migration ${migration.name}`);
  }

  private ownerOptions() {
    return buildDataSourceOptions({
      DATABASE_URL: this.config.get('DATABASE_URL', { infer: true })!,
      DATABASE_POOL_SIZE: 1,
      DATABASE_CONNECT_TIMEOUT_MS: this.config.get('DATABASE_CONNECT_TIMEOUT_MS', { infer: true }),
      DATABASE_STATEMENT_TIMEOUT_MS: this.config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
    });
  }
}

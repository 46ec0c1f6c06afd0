import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, MigrationExecutor } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';

/** Any fixed number; instances starting together wait for each other here instead of migrating twice. */
export const MIGRATION_LOCK = 7_316_204_511;

/**
 * Runs pending migrations at start (MIGRATIONS_RUN), one instance at a time, before any request is served:
 * all of them in one transaction that first takes a transaction-scoped lock. On one connection, so behind
 * a transaction pooler (PgBouncer) the lock and the migrations share one server connection, and the lock
 * ends with the transaction. A session lock there could be taken on one server connection and "released"
 * on another, and the instances waiting for it must not hold the connections the migrating one needs.
 * (A migration that must run outside a transaction, such as CREATE INDEX CONCURRENTLY, cannot run here.)
 */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.get('MIGRATIONS_RUN', { infer: true })) return;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // Waiting for another instance's migrations is bounded by statement_timeout only; ours then run under lock_timeout again.
      await runner.query('SET LOCAL lock_timeout = 0');
      await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await runner.query(`SET LOCAL lock_timeout = ${this.config.get('DATABASE_LOCK_TIMEOUT_MS', { infer: true })}`);
      const executor = new MigrationExecutor(this.dataSource, runner);
      executor.transaction = 'all';
      const applied = await executor.executePendingMigrations();
      await runner.commitTransaction();
      for (const migration of applied) this.logger.log(`Applied migration ${migration.name}`);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }
}

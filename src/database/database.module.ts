import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { buildDataSourceOptions, readReplicaOptions } from './data-source-options.js';
import { LagTolerantReads } from './lag-tolerant-reads.js';
import { MigrationRunner } from './migration-runner.js';
import { TransactionSettings } from './transaction-settings.js';

/** Global: every repository may hand a read to LagTolerantReads. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => {
        const rowSecurity = config.get('DATABASE_RLS', { infer: true });
        // With row-level security the app connects as its own role; the owner (DATABASE_URL) only migrates.
        const env = config.get(rowSecurity === 'on' ? 'DATABASE_APP_URL' : 'DATABASE_URL', { infer: true });
        if (!env) throw new Error('DATABASE_URL (or DATABASE_APP_URL) was not resolved before the app started');
        return {
          ...buildDataSourceOptions({
            DATABASE_URL: env,
            DATABASE_RLS: rowSecurity,
            DATABASE_POOL_SIZE: config.get('DATABASE_POOL_SIZE', { infer: true }),
            DATABASE_CONNECT_TIMEOUT_MS: config.get('DATABASE_CONNECT_TIMEOUT_MS', { infer: true }),
            DATABASE_POOL_QUEUE_MS: config.get('DATABASE_POOL_QUEUE_MS', { infer: true }),
            DATABASE_STATEMENT_TIMEOUT_MS: config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
            DATABASE_TRANSACTION_POOLING: config.get('DATABASE_TRANSACTION_POOLING', { infer: true }),
          }),
          ...readReplicaOptions(env, config.get('DATABASE_READ_URLS', { infer: true })),
          retryAttempts: 5,
          retryDelay: 2000,
        };
      },
    }),
  ],
  providers: [MigrationRunner, TransactionSettings, LagTolerantReads],
  exports: [LagTolerantReads],
})
export class DatabaseModule {}

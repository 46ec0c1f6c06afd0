import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { MigrationRunner } from './migration-runner.js';
import { TransactionSettings } from './transaction-settings.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => {
        const env = config.get('DATABASE_URL', { infer: true });
        if (!env) throw new Error('DATABASE_URL was not resolved before the app started');
        return {
          ...buildDataSourceOptions({
            DATABASE_URL: env,
            DATABASE_POOL_SIZE: config.get('DATABASE_POOL_SIZE', { infer: true }),
            DATABASE_CONNECT_TIMEOUT_MS: config.get('DATABASE_CONNECT_TIMEOUT_MS', { infer: true }),
            DATABASE_POOL_QUEUE_MS: config.get('DATABASE_POOL_QUEUE_MS', { infer: true }),
            DATABASE_STATEMENT_TIMEOUT_MS: config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
            DATABASE_TRANSACTION_POOLING: config.get('DATABASE_TRANSACTION_POOLING', { infer: true }),
          }),
          retryAttempts: 5,
          retryDelay: 2000,
        };
      },
    }),
  ],
  providers: [MigrationRunner, TransactionSettings],
})
export class DatabaseModule {}

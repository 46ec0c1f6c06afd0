import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntitySubscriberInterface, type TransactionStartEvent } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';

/**
 * Every transaction bounds its lock waits: a request queued behind its own user's locks (the session
 * limit, the quota, a session row) gives up after DATABASE_LOCK_TIMEOUT_MS with 429 instead of holding a
 * pooled connection for as long as the flood lasts. SET LOCAL lives and dies with the transaction, so
 * nothing is left on the connection for the next request (nor on a PgBouncer server connection).
 */
class LockTimeoutSubscriber implements EntitySubscriberInterface {
  constructor(private readonly lockTimeoutMs: number) {}

  async afterTransactionStart({ queryRunner }: TransactionStartEvent): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = ${this.lockTimeoutMs}`);
  }
}

@Injectable()
export class TransactionSettings implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(new LockTimeoutSubscriber(this.config.get('DATABASE_LOCK_TIMEOUT_MS', { infer: true })));
  }
}

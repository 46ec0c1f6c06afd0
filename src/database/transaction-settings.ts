import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntitySubscriberInterface, type TransactionStartEvent } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { idleInTransactionTimeoutMs } from './data-source-options.js';
import { scopeSettingsSql } from './row-security/row-security-context.js';

/**
 * Every transaction sets its own timeouts, in the one round trip after BEGIN. lock_timeout bounds lock
 * waits: a request queued behind its own user's locks (the session limit, the quota, a session row) gives
 * up after DATABASE_LOCK_TIMEOUT_MS with 429 instead of holding a pooled connection for as long as the
 * flood lasts. statement_timeout and idle_in_transaction_session_timeout are also sent at connect when the
 * connection is the app's own; behind a transaction pooler this is the only place they can be set.
 * SET LOCAL lives and dies with the transaction, so nothing is left on the connection for the next
 * request (nor on a PgBouncer server connection that the next transaction of another client gets).
 * With DATABASE_RLS=on the same round trip carries the transaction's row-security scope (whose rows the
 * policies show), taken from the context the transaction was started in.
 */
class TransactionTimeoutsSubscriber implements EntitySubscriberInterface {
  private readonly settings: string;

  constructor(
    timeouts: { lockMs: number; statementMs: number; idleMs: number },
    private readonly rowSecurity: boolean,
  ) {
    this.settings = [
      `SET LOCAL lock_timeout = ${timeouts.lockMs}`,
      `SET LOCAL statement_timeout = ${timeouts.statementMs}`,
      `SET LOCAL idle_in_transaction_session_timeout = ${timeouts.idleMs}`,
    ].join('; ');
  }

  async afterTransactionStart({ queryRunner }: TransactionStartEvent): Promise<void> {
    await queryRunner.query(this.rowSecurity ? `${this.settings}; ${scopeSettingsSql(true)}` : this.settings);
  }
}

@Injectable()
export class TransactionSettings implements OnModuleInit {
  private readonly logger = new Logger(TransactionSettings.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async onModuleInit(): Promise<void> {
    const statementMs = this.config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true });
    this.dataSource.subscribers.push(
      new TransactionTimeoutsSubscriber(
        {
          lockMs: this.config.get('DATABASE_LOCK_TIMEOUT_MS', { infer: true }),
          statementMs,
          idleMs: idleInTransactionTimeoutMs(statementMs),
        },
        this.config.get('DATABASE_RLS', { infer: true }) === 'on',
      ),
    );
    if (this.config.get('DATABASE_TRANSACTION_POOLING', { infer: true })) await this.checkRoleStatementTimeout();
  }

  /** Behind a transaction pooler only the role (or database) bounds a statement outside a transaction. */
  private async checkRoleStatementTimeout(): Promise<void> {
    const [row] = (await this.dataSource.query(`SELECT current_user AS role, current_setting('statement_timeout') AS timeout`)) as {
      role: string;
      timeout: string;
    }[];
    if (row.timeout !== '0') return;
    this.logger.warn(
      `Statements outside a transaction have no statement_timeout behind the pooler: ` +
        `ALTER ROLE "${row.role}" SET statement_timeout = '30s' (README, "Behind PgBouncer")`,
    );
  }
}

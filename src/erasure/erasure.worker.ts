import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource, type EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { asSystem } from '../database/row-security/row-security-context.js';
import {
  CLAIM_SQL,
  ERASURE_FINISH,
  ERASURE_STEPS,
  FAILED_SQL,
  PROGRESS_SQL,
  WAIT_FOR_USERS_SQL,
  type ErasureTarget,
} from './erasure.sql.js';

export interface DrainReport {
  batches: number;
  /** Rows deleted by the batches (not counting each erasure's last statement). */
  rows: number;
  /** Ids of the erasures this worker completed (their last row and the erasure itself deleted). */
  finished: string[];
  failures: number;
}

type BatchOutcome = { id: string; rows: number; finished: boolean } | { failed: true };

const INTERVAL_NAME = 'erasure-worker';

/**
 * Runs on every instance: every ERASURE_INTERVAL_MS (and at once when this instance queued an erasure) it
 * takes pending erasures and deletes their rows, ERASURE_BATCH_SIZE at a time, each batch in its own short
 * transaction that also holds the erasure's row lock (CLAIM_SQL). Nothing lives in this process but the
 * timer: a crash or a restart loses at most an uncommitted batch, and any instance carries on. It erases
 * whichever user's data is next, so it runs in the system scope of row-level security, whoever woke it.
 */
@Injectable()
export class ErasureWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ErasureWorker.name);
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private running: Promise<DrainReport> | null = null;
  private again = false;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.batchSize = config.get('ERASURE_BATCH_SIZE', { infer: true });
    this.intervalMs = config.get('ERASURE_INTERVAL_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs === 0) return;
    this.scheduler.addInterval(
      INTERVAL_NAME,
      setInterval(() => this.wake(), this.intervalMs),
    );
    this.wake();
  }

  /** Lets the batch in progress commit before the pool closes; the rest waits for the next instance. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  /** Starts draining in the background, unless this instance runs no worker (ERASURE_INTERVAL_MS=0). */
  wake(): void {
    if (this.intervalMs === 0 || this.stopping) return;
    this.drain().catch((error: unknown) => this.logger.error({ err: error }, 'erasure worker stopped on an error'));
  }

  /**
   * Works until no erasure is left that another worker does not hold, or one batch failed. Calls made while
   * a drain runs join it, and it looks again before it ends, so what was queued before the call is seen.
   */
  drain(): Promise<DrainReport> {
    this.again = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async loop(): Promise<DrainReport> {
    const report: DrainReport = { batches: 0, rows: 0, finished: [], failures: 0 };
    while (this.again && !this.stopping) {
      this.again = false;
      await this.work(report);
    }
    if (report.batches > 0)
      this.logger.log(`erased ${report.rows} rows in ${report.batches} batches; ${report.finished.length} erasures done`);
    return report;
  }

  /**
   * Completes these users' pending erasures now, in this process, waiting for any other worker's batch on
   * them rather than skipping it (for tests and command-line tools; the scheduled drain never waits).
   */
  async drainFor(userIds: string[]): Promise<DrainReport> {
    const report: DrainReport = { batches: 0, rows: 0, finished: [], failures: 0 };
    for (;;) {
      if (!(await this.work(report, userIds))) return report;
      const held = await this.dataSource.transaction((tx) => tx.query(WAIT_FOR_USERS_SQL, [userIds]) as Promise<unknown[]>);
      if (held.length === 0) return report;
    }
  }

  /** Batches until nothing is free to claim (true) or one failed (false). */
  private async work(report: DrainReport, userIds: string[] | null = null): Promise<boolean> {
    for (let outcome = await this.runBatch(userIds); outcome && !this.stopping; outcome = await this.runBatch(userIds)) {
      if ('failed' in outcome) {
        report.failures += 1;
        return false;
      }
      report.batches += 1;
      report.rows += outcome.rows;
      if (outcome.finished) report.finished.push(outcome.id);
    }
    return !this.stopping;
  }

  /** One batch of the next free erasure (of these users, if given), or null when there is none. */
  runBatch(userIds: string[] | null = null): Promise<BatchOutcome | null> {
    return asSystem('erasure worker', () => this.claimAndDelete(userIds));
  }

  private async claimAndDelete(userIds: string[] | null): Promise<BatchOutcome | null> {
    let target: ErasureTarget | undefined;
    try {
      return await this.dataSource.transaction(async (tx) => {
        [target] = (await tx.query(CLAIM_SQL, [userIds])) as ErasureTarget[];
        if (!target) return null;
        return this.deleteOneBatch(tx, target);
      });
    } catch (error) {
      if (!target) throw error;
      this.logger.warn({ err: error, erasure: target.id }, 'erasure batch failed; it will be retried');
      const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
      await this.dataSource.query(FAILED_SQL, [target.user_id, target.id, message]);
      return { failed: true };
    }
  }

  private async deleteOneBatch(tx: EntityManager, target: ErasureTarget): Promise<BatchOutcome> {
    for (const step of ERASURE_STEPS[target.kind]) {
      const [, rows] = (await tx.query(step.sql, step.params(target, this.batchSize))) as [unknown, number];
      if (rows > 0) {
        await tx.query(PROGRESS_SQL, [target.user_id, target.id, rows]);
        return { id: target.id, rows, finished: false };
      }
    }
    for (const step of ERASURE_FINISH[target.kind]) await tx.query(step.sql, step.params(target, this.batchSize));
    return { id: target.id, rows: 0, finished: true };
  }
}

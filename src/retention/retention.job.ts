import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { RetentionAction } from './retention.sql.js';
import { LeaseLost, RetentionStore, type Candidates, type Lease, type UserScope } from './retention.store.js';

export interface RetentionOptions {
  /** Only these users' sessions (tests, tools); default every user's. */
  onlyUsers?: string[];
}

export interface PlannedAction extends Candidates {
  action: RetentionAction;
  /** Candidates are older than this (purge: deleted before it; otherwise: last message, or import if later, before it). */
  before: Date;
}

export interface ActionReport {
  action: RetentionAction;
  sessions: number;
  /** Messages anonymized (purge and delete leave the messages to the erasure workers: 0). */
  messages: number;
  batches: number;
}

export interface RetentionReport {
  /** False when another instance held the lease: this one did nothing. */
  ran: boolean;
  heldBy: string | null;
  actions: ActionReport[];
  /** False when the run stopped early (shutdown, lost lease); the next run goes on from there. */
  complete: boolean;
}

const LEASE_NAME = 'retention';
/** Renewed by every batch; a crashed holder's lease frees itself after this long. */
const LEASE_TTL_MS = 120_000;
const PROGRESS_EVERY_MS = 10_000;

/**
 * Purges soft-deleted sessions after CHAT_SESSION_CLEANUP_DAYS, and deletes or anonymizes (RETENTION_MODE)
 * inactive ones whose last message is older than CHAT_INACTIVE_RETENTION_DAYS. One instance at a time runs
 * it (a lease row, renewed inside every batch's transaction), in batches of RETENTION_BATCH_SIZE, each its
 * own short transaction: a crash loses at most the batch in flight, and the next run goes on from the rows.
 */
@Injectable()
export class RetentionJob implements OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  /** Names this instance in the lease row, and in the log lines of the instances that skip. */
  private readonly lease: Lease = {
    name: LEASE_NAME,
    holder: `${hostname().slice(0, 100)}:${process.pid}:${randomUUID().slice(0, 8)}`,
    ttlMs: LEASE_TTL_MS,
  };
  private readonly cleanupDays: number;
  private readonly inactiveDays: number | null;
  private readonly inactiveAction: 'delete' | 'anonymize';
  private readonly batchSize: number;
  private running: Promise<RetentionReport> | null = null;
  private stopping = false;

  constructor(
    private readonly store: RetentionStore,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.cleanupDays = config.get('CHAT_SESSION_CLEANUP_DAYS', { infer: true });
    this.inactiveDays = config.get('CHAT_INACTIVE_RETENTION_DAYS', { infer: true }) ?? null;
    this.inactiveAction = config.get('RETENTION_MODE', { infer: true });
    this.batchSize = config.get('RETENTION_BATCH_SIZE', { infer: true });
  }

  /** Lets the batch in flight commit, and frees the lease, before the pool closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** What a run would do now, changing nothing (the dry run). */
  async plan(options: RetentionOptions = {}): Promise<PlannedAction[]> {
    const planned: PlannedAction[] = [];
    for (const [action, before] of await this.actions()) {
      planned.push({ action, before, ...(await this.store.count(action, before, options.onlyUsers ?? null)) });
    }
    return planned;
  }

  /** Runs once, unless another instance holds the lease; a call while this instance runs joins that run. */
  run(options: RetentionOptions = {}): Promise<RetentionReport> {
    this.running ??= this.runOnce(options.onlyUsers ?? null).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runOnce(scope: UserScope): Promise<RetentionReport> {
    if (!(await this.store.tryAcquire(this.lease))) {
      const heldBy = await this.store.holderOf(this.lease.name);
      this.logger.log(`retention: skipped, ${heldBy ?? 'another instance'} is running it`);
      return { ran: false, heldBy, actions: [], complete: false };
    }
    const report: RetentionReport = { ran: true, heldBy: null, actions: [], complete: false };
    try {
      for (const [action, before] of await this.actions()) {
        report.actions.push(await this.runAction(action, before, scope));
        if (this.stopping) return report;
      }
      report.complete = true;
      return report;
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      this.logger.warn(`retention: stopped, ${error.message}`);
      return report;
    } finally {
      await this.store.release(this.lease).catch((error: unknown) => this.logger.warn({ err: error }, 'retention: lease not released'));
    }
  }

  /** Batches of one action until none is left (or the instance stops), with a progress line now and then. */
  private async runAction(action: RetentionAction, before: Date, scope: UserScope): Promise<ActionReport> {
    const report: ActionReport = { action, sessions: 0, messages: 0, batches: 0 };
    this.logger.log(`retention ${action}: sessions ${action === 'purge' ? 'deleted' : 'last active'} before ${before.toISOString()}`);
    let lastProgress = Date.now();
    while (!this.stopping) {
      const outcome =
        action === 'anonymize'
          ? await this.store.anonymizeBatch(this.lease, before, this.batchSize, scope)
          : await this.store.eraseBatch(action, this.lease, before, this.batchSize, scope);
      if (!outcome.progressed) break;
      report.batches += 1;
      report.sessions += outcome.sessions;
      report.messages += outcome.messages;
      this.logger.debug(`retention ${action}: batch ${report.batches}, ${outcome.sessions} sessions, ${outcome.messages} messages`);
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        this.logger.log(`retention ${action}: ${describe(report)} so far`);
      }
    }
    this.logger.log(`retention ${action}: ${describe(report)}${this.stopping ? ' (stopped; the next run goes on)' : ', done'}`);
    return report;
  }

  /** The actions configured, each with its cutoff by the database's clock, fixed for the run. */
  private async actions(): Promise<[RetentionAction, Date][]> {
    const cutoffs = await this.store.cutoffs(this.cleanupDays, this.inactiveDays);
    const actions: [RetentionAction, Date][] = [['purge', cutoffs.purge]];
    if (cutoffs.inactive) actions.push([this.inactiveAction, cutoffs.inactive]);
    return actions;
  }
}

function describe(report: ActionReport): string {
  const messages = report.action === 'anonymize' ? `, ${report.messages} messages` : '';
  return `${report.sessions} sessions${messages} in ${report.batches} batches`;
}

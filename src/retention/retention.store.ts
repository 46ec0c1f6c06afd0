import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { asSystem } from '../database/row-security/row-security-context.js';
import { ErasuresService } from '../erasure/erasures.service.js';
import {
  ACQUIRE_LEASE_SQL,
  ANONYMIZE_MESSAGES_SQL,
  ANONYMIZE_SESSION_SQL,
  ANONYMIZE_UPTO_SQL,
  ANONYMIZED_CONTENT,
  CANDIDATES,
  CLAIM_ANONYMIZE_SQL,
  countSql,
  CUTOFFS_SQL,
  eraseBatchSql,
  LEASE_HOLDER_SQL,
  RELEASE_LEASE_SQL,
  RENEW_LEASE_SQL,
  type RetentionAction,
} from './retention.sql.js';

export interface Lease {
  name: string;
  holder: string;
  ttlMs: number;
}

/** Limits a run to these users' sessions (tests, tools); null: every user's. */
export type UserScope = string[] | null;

export interface Cutoffs {
  purge: Date;
  inactive: Date | null;
}

export interface Candidates {
  sessions: number;
  messages: number;
  oldest: Date | null;
}

export interface BatchOutcome {
  /** Sessions done (purged, deleted, or anonymized to their last message). */
  sessions: number;
  messages: number;
  /** False when no candidate was left (or free): the action is done for this run. */
  progressed: boolean;
}

/** The instance lost the lease (it stalled past its expiry and another took over): the batch rolled back. */
export class LeaseLost extends Error {}

/**
 * Every statement the retention job runs, and the one place it opens transactions. Its work reads and
 * writes across users, so this is where a context for cross-user work (row-level security's "system")
 * is set: in `transaction()`, which every method goes through.
 */
@Injectable()
export class RetentionStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly erasures: ErasuresService,
  ) {}

  async tryAcquire(lease: Lease): Promise<boolean> {
    const rows = await this.transaction((tx) => tx.query(ACQUIRE_LEASE_SQL, [lease.name, lease.holder, lease.ttlMs]) as Promise<unknown[]>);
    return rows.length > 0;
  }

  /** Who holds the lease now, if anyone. */
  async holderOf(name: string): Promise<string | null> {
    const rows = await this.transaction((tx) => tx.query(LEASE_HOLDER_SQL, [name]) as Promise<{ holder: string }[]>);
    return rows[0]?.holder ?? null;
  }

  async release(lease: Lease): Promise<void> {
    await this.transaction((tx) => tx.query(RELEASE_LEASE_SQL, [lease.name, lease.holder]));
  }

  async cutoffs(cleanupDays: number, inactiveDays: number | null): Promise<Cutoffs> {
    const [row] = await this.transaction((tx) => tx.query(CUTOFFS_SQL, [cleanupDays, inactiveDays]) as Promise<Cutoffs[]>);
    return row;
  }

  async count(action: RetentionAction, before: Date, scope: UserScope): Promise<Candidates> {
    const [row] = await this.transaction(
      (tx) =>
        tx.query(countSql(CANDIDATES[action]), [before, scope]) as Promise<{ sessions: number; messages: string; oldest: Date | null }[]>,
    );
    return { sessions: row.sessions, messages: Number(row.messages), oldest: row.oldest };
  }

  /** Purges (or deletes) up to `size` of the oldest candidates: hidden for good and queued for erasure at once. */
  async eraseBatch(action: 'purge' | 'delete', lease: Lease, before: Date, size: number, scope: UserScope): Promise<BatchOutcome> {
    const erased = await this.transaction(async (tx) => {
      await this.renew(tx, lease);
      const [rows] = (await tx.query(eraseBatchSql(CANDIDATES[action]), [before, size, scope])) as [
        { userId: string; sessionId: string }[],
      ];
      await this.erasures.queueEachSession(tx, rows);
      return rows.length;
    });
    if (erased > 0) this.erasures.started();
    return { sessions: erased, messages: 0, progressed: erased > 0 };
  }

  /**
   * Anonymizes up to `size` messages in one transaction: session after session, oldest first, the last one
   * possibly only in part (its progress is kept, and the next batch goes on from there). Each session
   * counts at least one against `size`, so empty ones cannot make a batch long.
   */
  async anonymizeBatch(lease: Lease, before: Date, size: number, scope: UserScope): Promise<BatchOutcome> {
    return this.transaction(async (tx) => {
      await this.renew(tx, lease);
      const outcome: BatchOutcome = { sessions: 0, messages: 0, progressed: false };
      for (let budget = size; budget > 0;) {
        const [session] = (await tx.query(CLAIM_ANONYMIZE_SQL, [before, scope])) as {
          user_id: string;
          id: string;
          from_seq: number;
          last_seq: number;
        }[];
        if (!session) break;
        const [{ upto: to }] = (await tx.query(ANONYMIZE_UPTO_SQL, [
          session.user_id,
          session.id,
          session.from_seq,
          budget,
          session.last_seq,
        ])) as {
          upto: number;
        }[];
        const [, messages] = (await tx.query(ANONYMIZE_MESSAGES_SQL, [
          session.user_id,
          session.id,
          session.from_seq,
          to,
          ANONYMIZED_CONTENT,
        ])) as [unknown, number];
        await tx.query(ANONYMIZE_SESSION_SQL, [session.user_id, session.id, to]);
        budget -= Math.max(1, messages);
        outcome.sessions += to === session.last_seq ? 1 : 0;
        outcome.messages += messages;
        outcome.progressed = true;
      }
      return outcome;
    });
  }

  private async renew(tx: EntityManager, lease: Lease): Promise<void> {
    const [, renewed] = (await tx.query(RENEW_LEASE_SQL, [lease.name, lease.holder, lease.ttlMs])) as [unknown, number];
    if (renewed === 0) throw new LeaseLost(`the ${lease.name} lease passed to another instance`);
  }

  /** Retention reads and writes across users on purpose: the one system scope of row-level security it takes. */
  private transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return asSystem('retention', () => this.dataSource.transaction(work));
  }
}

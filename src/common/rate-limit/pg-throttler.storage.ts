import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DataSource } from 'typeorm';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Fixed-window counters in PostgreSQL, so every app instance counts against the same limit. One statement
 * per request: it opens a window for a new or expired key, or counts the hit in the current one. Windows
 * that ended long ago are pruned now and then, so many distinct clients cannot grow the table without bound.
 */
@Injectable()
export class PgThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref();

  constructor(private readonly dataSource: DataSource) {}

  onModuleDestroy(): void {
    clearInterval(this.pruner);
  }

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const [row]: { hits: number; seconds_left: number }[] = await this.dataSource.query(
      `INSERT INTO rate_limit_buckets AS b (key, hits, resets_at)
       VALUES ($1, 1, now() + make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (key) DO UPDATE SET
         hits      = CASE WHEN b.resets_at <= now() THEN 1 ELSE b.hits + 1 END,
         resets_at = CASE WHEN b.resets_at <= now() THEN EXCLUDED.resets_at ELSE b.resets_at END
       RETURNING hits, greatest(1, ceil(extract(epoch FROM resets_at - now())))::int AS seconds_left`,
      [key, ttl],
    );
    const blocked = row.hits > limit;
    return { totalHits: row.hits, timeToExpire: row.seconds_left, isBlocked: blocked, timeToBlockExpire: blocked ? row.seconds_left : 0 };
  }

  private async prune(): Promise<void> {
    await this.dataSource.query(`DELETE FROM rate_limit_buckets WHERE resets_at < now() - interval '10 minutes'`).catch(() => undefined);
  }
}

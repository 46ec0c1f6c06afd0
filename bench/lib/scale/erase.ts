import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { round } from '../load.js';
import type { ScaleConfig } from './config.js';
import { percentile, timedRequest } from './measure.js';

export interface ReadStats {
  n: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface ErasureResult {
  request: string;
  rows_before: number;
  status: number;
  response_ms: number;
  /** From sending the request until none of the rows is left in any table (null: they never went). */
  erased_ms: number | null;
  rows_left: number;
  reads_quiet: ReadStats | null;
  reads_during: ReadStats | null;
  p99_ratio: number | null;
}

type Reader = { url: string; token: string };

function stats(latencies: number[], errors: number): ReadStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { n: sorted.length, p50_ms: round(percentile(sorted, 50), 1), p99_ms: round(percentile(sorted, 99), 1), errors };
}

async function readLoop(readers: Reader[], until: () => boolean, atLeast: number): Promise<ReadStats> {
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; latencies.length < atLeast || !until(); i++) {
    const reader = readers[i % readers.length];
    const result = await timedRequest(reader.url, { headers: { authorization: `Bearer ${reader.token}` } });
    latencies.push(result.ms);
    if (result.status !== 200) errors++;
  }
  return stats(latencies, errors);
}

/**
 * Sends an erasure request and watches the rows go: `remaining` counts what is left (run every 250 ms).
 * With `readers`, other users' reads run sequentially all along; their p99 is compared with a quiet run.
 * Works whatever the route does: erase inside the request, or answer 202/204 and erase in the background.
 */
export async function measureErasure(
  config: ScaleConfig,
  label: string,
  send: () => Promise<{ status: number; ms: number }>,
  rows: RowsOf,
  readers: Reader[],
  log: (m: string) => void,
): Promise<ErasureResult> {
  const rowsBefore = await rows.count();
  const quiet = readers.length > 0 ? await readLoop(readers, () => true, config.eraseReads) : null;
  let done = false;
  const started = performance.now();
  const during = readers.length > 0 ? readLoop(readers, () => done, 10) : Promise.resolve(null);
  const response = await send();
  log(`${label}: answered ${response.status} in ${round(response.ms, 0)} ms; watching the rows go`);
  let erasedMs: number | null = null;
  const deadline = performance.now() + (response.status < 300 ? config.eraseTimeoutS * 1000 : 10_000);
  while (performance.now() < deadline) {
    // The poll's snapshot is taken when it starts; right after a mass delete the poll itself is slow (its
    // index scan visits every dead entry once), so the rows are gone as of the poll's start, not its end.
    const polled = performance.now();
    if (!(await rows.anyLeft())) {
      erasedMs = polled - started;
      break;
    }
    await sleep(250);
  }
  done = true;
  const reads = await during;
  const left = erasedMs === null ? await rows.count() : 0;
  return {
    request: label,
    rows_before: rowsBefore,
    status: response.status,
    response_ms: round(response.ms, 0),
    erased_ms: erasedMs === null ? null : round(erasedMs, 0),
    rows_left: left,
    reads_quiet: quiet,
    reads_during: reads,
    p99_ratio: quiet && reads ? round(reads.p99_ms / quiet.p99_ms, 2) : null,
  };
}

/** What an erasure must remove: counted before and after, polled cheaply (EXISTS) meanwhile. */
export interface RowsOf {
  count(): Promise<number>;
  anyLeft(): Promise<boolean>;
}

/** The tables that hold a user's data (extend when erasure adds tables of its own). */
const USER_TABLES: [table: string, column: string][] = [
  ['chat_messages', 'user_id'],
  ['chat_sessions', 'user_id'],
  ['usage_daily', 'user_id'],
  ['usage_daily_totals', 'user_id'],
  ['usage_periods', 'user_id'],
  ['erasures', 'user_id'],
  ['users', 'id'],
];

export function rowsOfUser(db: pg.Client, userId: string): RowsOf {
  return rowsWhere(
    db,
    USER_TABLES.map(([table, column]) => `SELECT 1 FROM ${table} WHERE ${column} = $1`),
    [userId],
  );
}

export function rowsOfSessionHistory(db: pg.Client, userId: string, sessionId: string): RowsOf {
  return rowsWhere(db, ['SELECT 1 FROM chat_messages WHERE user_id = $1 AND session_id = $2'], [userId, sessionId]);
}

function rowsWhere(db: pg.Client, selects: string[], params: unknown[]): RowsOf {
  return {
    async count() {
      const sum = selects.map((s) => `(SELECT count(*) FROM (${s}) x)`).join(' + ');
      const { rows } = await db.query<{ n: number }>(`SELECT (${sum})::int AS n`, params);
      return rows[0].n;
    },
    async anyLeft() {
      const { rows } = await db.query<{ any: boolean }>(`SELECT ${selects.map((s) => `EXISTS (${s})`).join(' OR ')} AS any`, params);
      return rows[0].any;
    },
  };
}

export async function timedSend(url: string, token: string): Promise<{ status: number; ms: number }> {
  const result = await timedRequest(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  return { status: result.status, ms: result.ms };
}

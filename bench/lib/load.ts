import autocannon from 'autocannon';
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestShape {
  method: 'GET' | 'POST';
  path: string;
  headers: IncomingHttpHeaders;
  body?: string;
}

/** Builds the n-th request of a run (n counts from 0 in every run, so every target gets the same sequence). */
export type RequestMaker = (n: number) => RequestShape;

export interface LoadRun {
  /** [start, end] on the monotonic clock in µs (the clock of V8 CPU profiles), for profile windows. */
  windowUs: [number, number];
  latencies: number[];
  completed: number;
  durationS: number;
  non2xx: number;
  socketErrors: number;
  statusCounts: Record<string, number>;
}

export interface LoadStats {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
  duration_s: number;
  status_counts: Record<string, number>;
}

/** One autocannon run against `baseUrl`: for `durationS` seconds, or exactly `amount` requests. */
export function runLoad(
  baseUrl: string,
  make: RequestMaker,
  { connections, durationS, amount }: { connections: number; durationS?: number; amount?: number },
): Promise<LoadRun> {
  let n = 0;
  const startUs = nowUs();
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationS ?? 10,
        amount,
        timeout: 10,
        requests: [
          {
            setupRequest: (request) => Object.assign(request, make(n++)),
          },
        ],
      },
      (error: unknown, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        resolve({
          windowUs: [startUs, nowUs()],
          latencies,
          completed: latencies.length,
          durationS: result.duration,
          non2xx: result.non2xx,
          socketErrors: result.errors,
          statusCounts,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    });
  });
}

export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Merges the runs of one target (several rounds) into its reported numbers. */
export function summarise(runs: LoadRun[]): LoadStats {
  const latencies = runs.flatMap((r) => r.latencies);
  const completed = runs.reduce((sum, r) => sum + r.completed, 0);
  const durationS = runs.reduce((sum, r) => sum + r.durationS, 0);
  const statusCounts: Record<string, number> = {};
  for (const run of runs)
    for (const [code, count] of Object.entries(run.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + count;
  return {
    rps: round(completed / durationS, 1),
    p50_ms: round(percentile(latencies, 0.5), 2),
    p99_ms: round(percentile(latencies, 0.99), 2),
    errors: runs.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0),
    requests: completed,
    duration_s: round(durationS, 2),
    status_counts: statusCounts,
  };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A deterministic pseudo-random index in [0, size) for the n-th request (same for every target). */
export function pick(n: number, size: number): number {
  let x = (n + 1) * 0x9e3779b1;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return ((x ^ (x >>> 16)) >>> 0) % size;
}

/**
 * Knobs of the scale bench (`npm run bench -- --scale`), read once from the environment; all documented in
 * bench/README.md ("Scale bench").
 */
export interface ScaleConfig {
  databaseUrl: string | undefined;
  /** Messages of the heavy user H at each step, ascending (0 = H has one empty session). */
  steps: number[];
  /** Users besides H (they carry the background messages). */
  otherUsers: number;
  /** Messages of the other users together, loaded once before the first step. */
  otherMessages: number;
  /** Measured requests per route and step, after `warmup` unmeasured ones. */
  requests: number;
  warmup: number;
  /** Stop a route after this many seconds (0 = never) once it has at least 10 measured requests. */
  routeBudgetS: number;
  /** Connections inserting messages in parallel while loading. */
  loadConnections: number;
  erase: boolean;
  /** Export H (GET /users/me/export, plain and gzip) at every step, sampling the service's RSS. */
  measureExports: boolean;
  /** Sequential reads of another user measured quietly and again during H's erasure. */
  eraseReads: number;
  eraseTimeoutS: number;
  servicePort: number | undefined;
  poolSize: number;
}

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

function steps(): number[] {
  const raw = process.env.BENCH_SCALE_STEPS?.trim() || '0,10000,100000,1000000';
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0) || list.some((n, i) => i > 0 && n <= list[i - 1])) {
    throw new Error(`BENCH_SCALE_STEPS must be ascending non-negative integers (got "${raw}")`);
  }
  return list;
}

export function loadScaleConfig(argv: string[]): ScaleConfig {
  const list = steps();
  const last = list.at(-1)!;
  return {
    databaseUrl: process.env.BENCH_DATABASE_URL?.trim() || undefined,
    steps: list,
    otherUsers: int('BENCH_SCALE_OTHER_USERS', 9_999, 1),
    // The others carry as many messages as H's last step: at a 1M step the database holds 2M.
    otherMessages: int('BENCH_SCALE_OTHER_MESSAGES', last),
    requests: int('BENCH_SCALE_REQUESTS', 50, 1),
    warmup: int('BENCH_SCALE_WARMUP', 3),
    routeBudgetS: int('BENCH_SCALE_ROUTE_BUDGET_S', 0),
    loadConnections: int('BENCH_SCALE_LOAD_CONNECTIONS', 2, 1),
    erase: argv.includes('--scale-erase') || ['1', 'true'].includes(process.env.BENCH_SCALE_ERASE?.trim() ?? ''),
    measureExports: !['0', 'false'].includes(process.env.BENCH_SCALE_EXPORT?.trim() ?? ''),
    eraseReads: int('BENCH_SCALE_ERASE_READS', 200, 10),
    eraseTimeoutS: int('BENCH_SCALE_ERASE_TIMEOUT_S', 900, 1),
    servicePort: process.env.BENCH_SERVICE_PORT?.trim() ? int('BENCH_SERVICE_PORT', 0, 1) : undefined,
    poolSize: int('DATABASE_POOL_SIZE', 10, 1),
  };
}

/**
 * Every knob of the benchmark, read once from the environment (all documented in bench/README.md).
 * Defaults are sized so a full `npm run bench` stays well under 10 minutes on 2 cores.
 */
export const SCENARIO_NAMES = [
  'history',
  'session_list',
  'statements',
  'deep_page',
  'append',
  'create_at_limit',
  'burst',
  'fairness',
  'logins',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface BenchConfig {
  databaseUrl: string | undefined;
  warmupS: number;
  durationS: number;
  rounds: number;
  connections: number;
  poolSize: number;
  scenarios: Set<ScenarioName>;
  profile: boolean;
  /** BENCH_RLS=on: the service runs with DATABASE_RLS=on, as its own role. */
  rowSecurity: boolean;
  appendUsers: number;
  appendSessions: number;
  appendSeedMessages: number;
  appendBytes: number;
  /** Metadata of every appended message and of the append sessions (BENCH_APPEND_METADATA, a JSON object). */
  appendMetadata: Record<string, unknown>;
  historySessions: number;
  historyMessages: number;
  historyBytes: number;
  listSessions: number;
  limitUsers: number;
  deepMessages: number;
  deepDepth: number;
  deepBytes: number;
  deepRequests: number;
  statementRequests: number;
  statsSettleS: number;
  seedConnections: number;
  crowdUsers: number;
  burstRounds: number;
}

function jsonObject(name: string): Record<string, unknown> {
  const text = process.env[name]?.trim();
  if (!text) return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${name} must be a JSON object`);
  return value as Record<string, unknown>;
}

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return value;
}

export function loadConfig(): BenchConfig {
  const requested = (process.env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of requested) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new Error(`BENCH_SCENARIOS: unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
    }
  }
  const deepMessages = int('BENCH_DEEP_MESSAGES', 200_000, 2);
  const config: BenchConfig = {
    databaseUrl: process.env.BENCH_DATABASE_URL?.trim() || undefined,
    warmupS: int('BENCH_WARMUP_S', 3),
    durationS: int('BENCH_DURATION_S', 15, 1),
    rounds: int('BENCH_ROUNDS', 2, 1),
    connections: int('BENCH_CONNECTIONS', 32, 1),
    poolSize: int('DATABASE_POOL_SIZE', 10, 1),
    scenarios: new Set((requested.length > 0 ? requested : SCENARIO_NAMES) as ScenarioName[]),
    profile: ['1', 'true'].includes((process.env.BENCH_PROFILE ?? '').trim().toLowerCase()),
    rowSecurity: (process.env.BENCH_RLS ?? '').trim().toLowerCase() === 'on',
    appendUsers: int('BENCH_APPEND_USERS', 100, 1),
    appendSessions: int('BENCH_APPEND_SESSIONS', 1000, 1),
    appendSeedMessages: int('BENCH_APPEND_SEED_MESSAGES', 10),
    appendBytes: int('BENCH_APPEND_BYTES', 1024, 1),
    appendMetadata: jsonObject('BENCH_APPEND_METADATA'),
    historySessions: int('BENCH_HISTORY_SESSIONS', 10, 1),
    historyMessages: int('BENCH_HISTORY_MESSAGES', 10_000, 1),
    historyBytes: int('BENCH_HISTORY_BYTES', 1024, 1),
    listSessions: int('BENCH_LIST_SESSIONS', 1000, 1),
    limitUsers: int('BENCH_LIMIT_USERS', 100, 1),
    deepMessages,
    deepDepth: int('BENCH_DEEP_DEPTH', Math.floor(deepMessages / 2), 1),
    deepBytes: int('BENCH_DEEP_BYTES', 256, 1),
    deepRequests: int('BENCH_DEEP_REQUESTS', 300, 10),
    statementRequests: int('BENCH_STATEMENT_REQUESTS', 500, 10),
    statsSettleS: int('BENCH_STATS_SETTLE_S', 11, 0),
    seedConnections: int('BENCH_SEED_CONNECTIONS', 2, 1),
    crowdUsers: int('BENCH_CROWD_USERS', 40, 2),
    burstRounds: int('BENCH_BURST_ROUNDS', 3, 1),
  };
  if (config.appendSessions < config.appendUsers) throw new Error('BENCH_APPEND_SESSIONS must be >= BENCH_APPEND_USERS');
  if (config.appendSessions > config.appendUsers * 20) {
    throw new Error('BENCH_APPEND_SESSIONS may be at most 20 per user (5 active per agent type, 4 agent types)');
  }
  if (config.deepDepth >= config.deepMessages) throw new Error('BENCH_DEEP_DEPTH must be below BENCH_DEEP_MESSAGES');
  return config;
}

/**
 * `npm run bench`: seeds a database (embedded, fresh under .data/bench, or BENCH_DATABASE_URL), starts the
 * built service as in production and the raw baseline server beside it, drives both over 127.0.0.1 with
 * autocannon, prints a table and writes bench/results/latest.json, then stops everything it started.
 * Sizes and durations come from BENCH_* variables (bench/README.md). With `--scale`, runs the scale bench
 * (bench/scale.ts) instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type * as EmbeddedPostgresModule from '../src/database/embedded-postgres.js';
import type * as AppRoleModule from '../src/database/row-security/app-role.js';
import { loadConfig, type BenchConfig, type ScenarioName } from './lib/config.js';
import { burst, crowdUsers, fairness, logins } from './lib/crowd.js';
import { mintAccessToken } from './lib/jwt.js';
import { pick, round, runLoad, summarise, type LoadRun, type LoadStats, type RequestMaker } from './lib/load.js';
import { BENCH_DATA_DIR, importDist, RESULTS_DIR, ROOT } from './lib/paths.js';
import { freePort, ManagedProcess } from './lib/processes.js';
import { formatTable, type DeepPageResult, type ScenarioResult, type StatementsResult } from './lib/report.js';
import { checkInvariants, cleanBenchData, seed, settleAfterSeeding, type Fixture, type SessionRef } from './lib/seed.js';
import { CommitCounter } from './lib/stats-counter.js';
import { gitSha } from './lib/git.js';
import { fillerTexts } from './lib/text.js';
import { newestProfile, summariseProfile } from './profile-summary.js';
import { scaleMain } from './scale.js';

interface Target {
  name: 'service' | 'baseline';
  url: string;
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
/** Measured (not warm-up) windows and requests per target, to restrict CPU profiles to them. */
const measured = new Map<Target['name'], { windows: [number, number][]; requests: number }>();
function recordMeasured(name: Target['name'], run: LoadRun): LoadRun {
  const entry = measured.get(name) ?? { windows: [], requests: 0 };
  entry.windows.push(run.windowUs);
  entry.requests += run.completed;
  measured.set(name, entry);
  return run;
}
const cleanups: { name: string; run: () => Promise<unknown> }[] = [];

async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    try {
      await step.run();
    } catch (error) {
      log(`cleanup "${step.name}" failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything this run started`);
    void cleanup().finally(() => process.exit(130));
  });
}

/**
 * Warm-up of every target, then `rounds` measured slices per target in ABBA order (service, baseline,
 * baseline, service, …) so slow drift (table growth, autovacuum, checkpoints) falls on both equally.
 */
async function measure(
  config: BenchConfig,
  targets: { target: Target; make: RequestMaker }[],
  label: string,
): Promise<Map<Target['name'], LoadStats>> {
  const connections = config.connections;
  if (config.warmupS > 0) {
    for (const { target, make } of targets) {
      log(`${label}: warm-up ${target.name} ${config.warmupS} s`);
      await runLoad(target.url, make, { connections, durationS: config.warmupS });
    }
  }
  const runs = new Map<Target['name'], LoadRun[]>(targets.map(({ target }) => [target.name, []]));
  const slice = config.durationS / config.rounds;
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const { target, make } of order) {
      log(`${label}: ${target.name} round ${round + 1}/${config.rounds}, ${slice} s × ${connections} connections`);
      runs.get(target.name)!.push(recordMeasured(target.name, await runLoad(target.url, make, { connections, durationS: slice })));
    }
  }
  return new Map([...runs].map(([name, list]) => [name, summarise(list)]));
}

function scenarioResult(name: string, stats: Map<Target['name'], LoadStats>): ScenarioResult {
  const service = stats.get('service')!;
  const baseline = stats.get('baseline') ?? null;
  return {
    name,
    service,
    baseline,
    ratio_rps: baseline ? round(service.rps / baseline.rps, 3) : null,
    ratio_p99: baseline ? round(service.p99_ms / baseline.p99_ms, 3) : null,
  };
}

async function getJson(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** The deep cursor, reached honestly: walking the API page by page with next_cursor. */
async function walkToDepth(serviceUrl: string, session: SessionRef, token: string, depth: number): Promise<string> {
  const base = `${serviceUrl}/api/v1/sessions/${session.id}/messages`;
  let cursor: string | null = null;
  let reached = 0;
  const started = Date.now();
  while (reached < depth) {
    const size = Math.min(200, depth - reached);
    const query: string = `page_size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await getJson(`${base}?${query}`, { authorization: `Bearer ${token}` });
    const data = page.data as { seq: number }[];
    reached += data.length;
    if (data.at(-1)?.seq !== reached || typeof page.next_cursor !== 'string') {
      throw new Error(`cursor walk went wrong at depth ${reached} (last seq ${data.at(-1)?.seq})`);
    }
    cursor = page.next_cursor;
  }
  log(`deep_page: walked to depth ${reached} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return cursor!;
}

async function deepPage(config: BenchConfig, service: Target, fixture: Fixture, tokens: Map<string, string>): Promise<DeepPageResult> {
  const session = fixture.deep!;
  const token = tokens.get(session.userId)!;
  const cursor = await walkToDepth(service.url, session, token, config.deepDepth);
  const base = `/api/v1/sessions/${session.id}/messages?page_size=50`;
  const firstPath = base;
  const deepPath = `${base}&cursor=${encodeURIComponent(cursor)}`;
  const check = await getJson(`${service.url}${deepPath}`, { authorization: `Bearer ${token}` });
  const firstSeq = (check.data as { seq: number }[])[0]?.seq;
  if (firstSeq !== config.deepDepth + 1) throw new Error(`deep page starts at seq ${firstSeq}, expected ${config.deepDepth + 1}`);
  const get =
    (requestPath: string): RequestMaker =>
    () => ({ method: 'GET', path: requestPath, headers: { authorization: `Bearer ${token}` } });
  const half = Math.ceil(config.deepRequests / 2);
  const opts = (amount: number) => ({ connections: 1, amount });
  await runLoad(service.url, get(firstPath), opts(30));
  await runLoad(service.url, get(deepPath), opts(30));
  const first: LoadRun[] = [];
  const deep: LoadRun[] = [];
  // ABBA again: first, deep, deep, first.
  first.push(await runLoad(service.url, get(firstPath), opts(half)));
  deep.push(await runLoad(service.url, get(deepPath), opts(half)));
  deep.push(await runLoad(service.url, get(deepPath), opts(half)));
  first.push(await runLoad(service.url, get(firstPath), opts(half)));
  const firstStats = summarise(first);
  const deepStats = summarise(deep);
  return {
    depth: config.deepDepth,
    session_messages: config.deepMessages,
    page_size: 50,
    requests_each: firstStats.requests,
    first_p50_ms: firstStats.p50_ms,
    deep_p50_ms: deepStats.p50_ms,
    ratio: round(deepStats.p50_ms / firstStats.p50_ms, 3),
    errors: firstStats.errors + deepStats.errors,
  };
}

async function statements(config: BenchConfig, service: Target, databaseUrl: string, listToken: string): Promise<StatementsResult> {
  const counter = await CommitCounter.connect(databaseUrl);
  try {
    const n = config.statementRequests;
    const list =
      (pageSize: number): RequestMaker =>
      () => ({ method: 'GET', path: `/api/v1/sessions?page_size=${pageSize}`, headers: { authorization: `Bearer ${listToken}` } });
    // Warm the pool and the plans first, so both measured runs start from the same state.
    await runLoad(service.url, list(100), { connections: 4, amount: 50 });
    log(`statements: waiting for PostgreSQL's statistics to settle (~${config.statsSettleS} s, three times)`);
    const perPageSize: StatementsResult['per_page_size'] = [];
    let before = await counter.settledRead(config.statsSettleS);
    for (const pageSize of [1, 100]) {
      const run = await runLoad(service.url, list(pageSize), { connections: 4, amount: n });
      const after = await counter.settledRead(config.statsSettleS);
      const commits = after.commits - before.commits;
      const connections = after.sessions - before.sessions;
      perPageSize.push({
        page_size: pageSize,
        requests: run.completed,
        errors: run.non2xx + run.socketErrors,
        xact_commits: commits,
        new_connections: connections,
        per_request: round((commits - connections) / run.completed, 3),
        per_request_raw: round(commits / run.completed, 3),
      });
      before = after;
    }
    const [small, large] = perPageSize;
    return {
      endpoint: 'GET /api/v1/sessions',
      method:
        'delta of pg_stat_database.xact_commit minus new connections (pg_stat_database.sessions; each backend commits one start-up transaction); every autocommit statement is one transaction',
      approximate: counter.ownQueriesCounted,
      per_page_size: perPageSize,
      constant: Math.round(small.per_request) === Math.round(large.per_request),
    };
  } finally {
    await counter.close();
  }
}

/** BENCH_RLS=on: the service connects as its own role (made here, as the bench database's superuser), policies binding. */
async function rowSecurityEnv(config: BenchConfig, databaseUrl: string): Promise<Record<string, string>> {
  if (!config.rowSecurity) return {};
  const { provisionAppRole } = await importDist<typeof AppRoleModule>('src/database/row-security/app-role.js');
  return { DATABASE_RLS: 'on', DATABASE_APP_URL: await provisionAppRole(databaseUrl) };
}

function machineInfo(config: BenchConfig, serverVersion: string) {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: serverVersion,
    database: config.databaseUrl ? 'BENCH_DATABASE_URL' : 'embedded (fresh, .data/bench)',
    pool_size: config.poolSize,
    connections: config.connections,
    warmup_s: config.warmupS,
    duration_s: config.durationS,
    rounds: config.rounds,
    profiled: config.profile,
    row_level_security: config.rowSecurity,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  if (!process.versions.node.startsWith('24.')) {
    throw new Error(`running on Node ${process.version}, the service needs Node 24: use \`npm run bench\` (or node_modules/.bin/node)`);
  }
  const wants = (name: ScenarioName) => config.scenarios.has(name);
  mkdirSync(RESULTS_DIR, { recursive: true });

  // 1. The database: BENCH_DATABASE_URL, or a fresh embedded server of our own.
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const { EmbeddedPostgres } = await importDist<typeof EmbeddedPostgresModule>('src/database/embedded-postgres.js');
    const embedded = new EmbeddedPostgres(BENCH_DATA_DIR, (message) => log(message));
    log(`starting a fresh embedded PostgreSQL in ${path.relative(ROOT, BENCH_DATA_DIR)}`);
    cleanups.push({ name: 'embedded PostgreSQL', run: () => embedded.stop() });
    databaseUrl = await embedded.start({ fresh: true });
  }

  // 2. The service as in production; its migrations create the schema.
  const jwtSecret = randomBytes(36).toString('base64url');
  const servicePort = await freePort();
  const serviceLog = path.join(RESULTS_DIR, 'service.log');
  writeFileSync(serviceLog, '');
  const profileDir = (name: Target['name']) => path.join(RESULTS_DIR, 'profiles', name);
  const profileArgs = (name: Target['name']) => (config.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(name)}`] : []);
  if (config.profile) for (const name of ['service', 'baseline'] as const) mkdirSync(profileDir(name), { recursive: true });
  const serviceEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    ...(await rowSecurityEnv(config, databaseUrl)),
    DATABASE_POOL_SIZE: String(config.poolSize),
    JWT_SECRET: jwtSecret,
    PORT: String(servicePort),
    HOST: '127.0.0.1',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
    MIGRATIONS_RUN: 'true',
  };
  const service = ManagedProcess.start('service', [...profileArgs('service'), 'dist/src/main.js'], serviceEnv, serviceLog, ROOT);
  cleanups.push({ name: 'service', run: () => service.stop() });
  const serviceTarget: Target = { name: 'service', url: `http://127.0.0.1:${servicePort}` };
  await service.waitReady(`${serviceTarget.url}/health/ready`);
  log(`service ready on ${serviceTarget.url} (pid ${service.pid}, log ${path.relative(ROOT, serviceLog)})`);

  // 3. Seed through SQL.
  const db = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-seed' });
  await db.connect();
  cleanups.push({ name: 'seed connection', run: () => db.end() });
  const serverVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  const removed = await cleanBenchData(db);
  if (removed > 0) log(`removed ${removed} users left by a previous bench run`);
  const seedStarted = Date.now();
  const helpers: pg.Client[] = [];
  for (let i = 1; i < config.seedConnections; i++) {
    const helper = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-seed' });
    await helper.connect();
    helpers.push(helper);
  }
  const fixture = await seed(db, config, helpers).finally(() => Promise.all(helpers.map((h) => h.end())));
  await checkInvariants(db);
  await settleAfterSeeding(db);
  log(`seeded and vacuumed in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
  const tokens = new Map<string, string>();
  const tokenFor = (userId: string) => {
    if (!tokens.has(userId)) tokens.set(userId, mintAccessToken(jwtSecret, userId, 3 * 3600));
    return tokens.get(userId)!;
  };

  // 4. The baseline, beside the service, on the same database and pool size.
  let baselineTarget: Target | null = null;
  if (wants('append') || wants('history')) {
    const baselinePort = await freePort();
    const baseline = ManagedProcess.start(
      'baseline',
      [...profileArgs('baseline'), '--import', './scripts/register-ts.mjs', 'bench/baseline/server.ts'],
      {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(baselinePort),
        DATABASE_POOL_SIZE: String(config.poolSize),
        JWT_SECRET: jwtSecret,
      },
      path.join(RESULTS_DIR, 'baseline.log'),
      ROOT,
    );
    cleanups.push({ name: 'baseline', run: () => baseline.stop() });
    baselineTarget = { name: 'baseline', url: `http://127.0.0.1:${baselinePort}` };
    await baseline.waitReady(`${baselineTarget.url}/health`);
    log(`baseline ready on ${baselineTarget.url} (pid ${baseline.pid})`);
  }

  // 5. Scenarios, read-only ones first (appends and creations grow the tables).
  const scenarios: ScenarioResult[] = [];
  let deep: DeepPageResult | null = null;
  let statementsResult: StatementsResult | null = null;
  const metadata = Object.keys(config.appendMetadata).length > 0 ? { metadata: config.appendMetadata } : {};
  const appendBody = JSON.stringify({ role: 'user', content: fillerTexts(1, config.appendBytes, 7)[0], ...metadata });

  if (wants('history')) {
    const path = (s: SessionRef) => `/api/v1/sessions/${s.id}/messages?order=desc&page_size=50`;
    const sessions = fixture.history;
    const stats = await measure(
      config,
      [
        {
          target: serviceTarget,
          make: (n) => {
            const s = sessions[pick(n, sessions.length)];
            return { method: 'GET', path: path(s), headers: { authorization: `Bearer ${tokenFor(s.userId)}` } };
          },
        },
        {
          target: baselineTarget!,
          make: (n) => {
            const s = sessions[pick(n, sessions.length)];
            return { method: 'GET', path: path(s), headers: { 'x-user-id': s.userId } };
          },
        },
      ],
      'history',
    );
    scenarios.push(scenarioResult('history', stats));
  }

  if (wants('session_list')) {
    const token = tokenFor(fixture.listUserId!);
    const stats = await measure(
      config,
      [
        {
          target: serviceTarget,
          make: () => ({ method: 'GET', path: '/api/v1/sessions?page_size=20', headers: { authorization: `Bearer ${token}` } }),
        },
      ],
      'session_list',
    );
    scenarios.push(scenarioResult('session_list', stats));
  }

  if (wants('statements')) {
    statementsResult = await statements(config, serviceTarget, databaseUrl, tokenFor(fixture.listUserId!));
  }

  if (wants('deep_page'))
    deep = await deepPage(config, serviceTarget, fixture, new Map([[fixture.deep!.userId, tokenFor(fixture.deep!.userId)]]));

  if (wants('append')) {
    const path = (s: SessionRef) => `/api/v1/sessions/${s.id}/messages`;
    const { service: serviceSessions, baseline: baselineSessions } = fixture.append;
    const stats = await measure(
      config,
      [
        {
          target: serviceTarget,
          make: (n) => {
            const s = serviceSessions[pick(n, serviceSessions.length)];
            return {
              method: 'POST',
              path: path(s),
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(s.userId)}` },
              body: appendBody,
            };
          },
        },
        {
          target: baselineTarget!,
          make: (n) => {
            const s = baselineSessions[pick(n, baselineSessions.length)];
            return {
              method: 'POST',
              path: path(s),
              headers: { 'content-type': 'application/json', 'x-user-id': s.userId },
              body: appendBody,
            };
          },
        },
      ],
      'append',
    );
    scenarios.push(scenarioResult('append', stats));
  }

  if (wants('create_at_limit')) {
    const pairs = fixture.limitPairs;
    const stats = await measure(
      config,
      [
        {
          target: serviceTarget,
          make: (n) => {
            const pair = pairs[pick(n, pairs.length)];
            return {
              method: 'POST',
              path: '/api/v1/sessions',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(pair.userId)}` },
              body: JSON.stringify({ title: 'bench at limit', agent_type: pair.agentType }),
            };
          },
        },
      ],
      'create_at_limit',
    );
    scenarios.push(scenarioResult('create_at_limit', stats));
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT s.user_id, s.agent_type FROM chat_sessions s JOIN users u ON u.id = s.user_id
          WHERE u.email LIKE 'bench-limit-%' AND s.is_active AND s.deleted_at IS NULL
          GROUP BY s.user_id, s.agent_type HAVING count(*) <> 5) x`,
    );
    if (rows[0].n !== 0) throw new Error(`create_at_limit: ${rows[0].n} (user, agent type) pairs no longer have exactly 5 active sessions`);
  }

  // Crowd scenarios: users registered through the API; the burst runs again on a second service with a pool of 2.
  const crowd: Record<string, unknown> = {};
  if (wants('burst') || wants('fairness') || wants('logins')) {
    const users = await crowdUsers(serviceTarget.url, config.crowdUsers);
    if (wants('burst')) {
      log(`burst: ${users.length} users × 5 requests at once, ${config.burstRounds} rounds, pool ${config.poolSize}`);
      crowd.burst_default_pool = { pool_size: config.poolSize, ...(await burst(serviceTarget.url, users, config.burstRounds)) };
      const tinyPort = await freePort();
      const tiny = ManagedProcess.start(
        'service-pool-2',
        ['dist/src/main.js'],
        { ...serviceEnv, DATABASE_POOL_SIZE: '2', PORT: String(tinyPort), MIGRATIONS_RUN: 'false' },
        path.join(RESULTS_DIR, 'service-pool-2.log'),
        ROOT,
      );
      cleanups.push({ name: 'service-pool-2', run: () => tiny.stop() });
      await tiny.waitReady(`http://127.0.0.1:${tinyPort}/health/ready`);
      log('burst: again on a second service with DATABASE_POOL_SIZE=2');
      crowd.burst_pool_2 = { pool_size: 2, ...(await burst(`http://127.0.0.1:${tinyPort}`, users, config.burstRounds)) };
      await tiny.stop();
    }
    if (wants('fairness')) {
      log('fairness: a victim user reads, quiet and while another user floods POST /sessions');
      crowd.fairness = await fairness(serviceTarget.url, users[0], users[1]);
    }
    if (wants('logins')) {
      log(`logins: ${config.crowdUsers} logins at once while /health/live is polled`);
      crowd.logins = await logins(serviceTarget.url, users[2], config.crowdUsers);
    }
  }

  // The writes kept every invariant (counters, seq numbering, the active limit).
  await checkInvariants(db);

  // 6. Report.
  const result = {
    machine: machineInfo(config, serverVersion),
    git_sha: gitSha(),
    generated_at: new Date().toISOString(),
    scenarios,
    deep_page: deep ? { first_p50_ms: deep.first_p50_ms, deep_p50_ms: deep.deep_p50_ms, ratio: deep.ratio, details: deep } : null,
    session_list_statements: statementsResult,
    crowd,
    sizes: {
      append: { users_per_target: config.appendUsers, sessions_per_target: config.appendSessions, message_bytes: config.appendBytes },
      history: { sessions: config.historySessions, messages_per_session: config.historyMessages, message_bytes: config.historyBytes },
      session_list: { sessions: config.listSessions },
      create_at_limit: { users: config.limitUsers, pairs: fixture.limitPairs.length },
      deep_page: { messages: config.deepMessages, depth: config.deepDepth, message_bytes: config.deepBytes },
    },
    total_s: 0,
  };
  await cleanup();
  result.total_s = round((Date.now() - started) / 1000, 1);
  const file = path.join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(formatTable(scenarios, deep, statementsResult));
  if (Object.keys(crowd).length > 0) process.stdout.write(`\nCrowd scenarios:\n${JSON.stringify(crowd, null, 2)}\n`);
  if (config.profile) {
    for (const [name, { windows, requests }] of measured) {
      const profile = newestProfile(profileDir(name));
      const text = summariseProfile(JSON.parse(readFileSync(profile, 'utf8')), { top: 30, windows, requests });
      const summary = `${name} CPU profile, measured windows only (${[...config.scenarios].join(', ')}): ${path.relative(ROOT, profile)}\n${text}`;
      const summaryFile = path.join(RESULTS_DIR, 'profiles', `summary-${name}-${[...config.scenarios].join('-')}.txt`);
      writeFileSync(summaryFile, summary);
      process.stdout.write(`\n${summary}(written to ${path.relative(ROOT, summaryFile)})\n`);
    }
  }
  process.stdout.write(`\nWritten ${path.relative(ROOT, file)} (total ${result.total_s} s)\n`);
  const burstFailures = ['burst_default_pool', 'burst_pool_2'].reduce(
    (sum, key) => sum + ((crowd[key] as { failures?: number })?.failures ?? 0),
    0,
  );
  const errors = scenarios.reduce((sum, s) => sum + s.service.errors + (s.baseline?.errors ?? 0), 0) + (deep?.errors ?? 0) + burstFailures;
  if (errors > 0) {
    log(`${errors} errors (non-2xx or socket errors); see status counts in latest.json and ${path.relative(ROOT, serviceLog)}`);
    process.exitCode = 1;
  }
}

/** `--scale` (and `--scale-erase`): the scale bench of bench/scale.ts instead of the scenarios above. */
const entry = process.argv.includes('--scale') ? () => scaleMain(cleanups, log).finally(cleanup) : main;

entry().catch(async (error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup();
  process.exit(1);
});

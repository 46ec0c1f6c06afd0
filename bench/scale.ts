/**
 * `npm run bench -- --scale` (bench/README.md, "Scale bench"): loads a database step by step (the heavy user
 * H at 0 / 10k / 100k / 1M messages among 10,000 users), measures every route of issue #12's table at each
 * step against the built service, optionally erases H (`--scale-erase`), and writes
 * bench/results/scale-<date>.md and .json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type * as EmbeddedPostgresModule from '../src/database/embedded-postgres.js';
import { gitSha } from './lib/git.js';
import { mintAccessToken } from './lib/jwt.js';
import { round } from './lib/load.js';
import { importDist, RESULTS_DIR, ROOT } from './lib/paths.js';
import { freePort, ManagedProcess } from './lib/processes.js';
import { loadScaleConfig, type ScaleConfig } from './lib/scale/config.js';
import { checkDerivedData, deriveFromBaseRows } from './lib/scale/derive.js';
import { measureErasure, rowsOfSessionHistory, rowsOfUser, timedSend, type ErasureResult } from './lib/scale/erase.js';
import { measureExport, type ExportResult } from './lib/scale/export.js';
import {
  finishStep,
  growHeavyUser,
  loadBackground,
  loadSessionMessages,
  resetScaleData,
  tuneForLoading,
  type ScaleWorld,
} from './lib/scale/load.js';
import { measureStep } from './lib/scale/measure.js';
import { formatScaleReport, tableSizes, type ScaleReport, type StepResult } from './lib/scale/report.js';

type Cleanup = { name: string; run: () => Promise<unknown> };
const SCALE_DATA_DIR = path.join(ROOT, '.data', 'bench-scale');

/** Rows per second on stderr while a load runs (every 10 s). */
function progress(label: string, log: (m: string) => void): { add: (n: number) => void; done: () => number } {
  const started = Date.now();
  let rows = 0;
  let last = started;
  return {
    add(n) {
      rows += n;
      if (Date.now() - last > 10_000) {
        last = Date.now();
        log(`${label}: ${rows} rows, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    },
    done: () => (Date.now() - started) / 1000,
  };
}

async function connect(url: string, name: string, cleanups: Cleanup[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  await client.connect();
  cleanups.push({ name, run: () => client.end() });
  return client;
}

/** The embedded server is the bench's own: checkpoints spaced out for bulk loading (reloadable settings only). */
async function startEmbedded(cleanups: Cleanup[], log: (m: string) => void): Promise<string> {
  const { EmbeddedPostgres } = await importDist<typeof EmbeddedPostgresModule>('src/database/embedded-postgres.js');
  const embedded = new EmbeddedPostgres(SCALE_DATA_DIR, log);
  log(`starting a fresh embedded PostgreSQL in ${path.relative(ROOT, SCALE_DATA_DIR)}`);
  cleanups.push({ name: 'embedded PostgreSQL', run: () => embedded.stop() });
  const url = await embedded.start({ fresh: true });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET max_wal_size = '8GB'`);
  await admin.query(`ALTER SYSTEM SET checkpoint_timeout = '30min'`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  return url;
}

async function startService(config: ScaleConfig, databaseUrl: string, jwtSecret: string, cleanups: Cleanup[], log: (m: string) => void) {
  const port = config.servicePort ?? (await freePort());
  const logFile = path.join(RESULTS_DIR, 'scale-service.log');
  writeFileSync(logFile, '');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(config.poolSize),
    JWT_SECRET: jwtSecret,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: 'true',
  };
  const service = ManagedProcess.start('service', ['dist/src/main.js'], env, logFile, ROOT);
  cleanups.push({ name: 'service', run: () => service.stop() });
  const url = `http://127.0.0.1:${port}`;
  await service.waitReady(`${url}/health/ready`);
  log(`service ready on ${url} (pid ${service.pid}, log ${path.relative(ROOT, logFile)})`);
  return { url, pid: service.pid! };
}

async function eraseAtLastStep(
  clients: pg.Client[],
  config: ScaleConfig,
  world: ScaleWorld,
  serviceUrl: string,
  tokenFor: (userId: string) => string,
  log: (m: string) => void,
): Promise<ErasureResult[]> {
  const [db] = clients;
  const readers = world.otherActiveSessions.slice(0, 50).map((s) => ({
    url: `${serviceUrl}/api/v1/sessions/${s.sessionId}/messages?page_size=50`,
    token: tokenFor(s.userId),
  }));
  const results: ErasureResult[] = [];
  // Clearing a history of a tenth of the step (100k at 1M): an other user's session, loaded for it.
  const clearUser = world.otherActiveSessions[world.otherActiveSessions.length - 1];
  const clearMessages = Math.floor(config.steps.at(-1)! / 10);
  if (clearMessages > 0) {
    const { rows } = await db.query<{ last_seq: number; agent_type: string }>(
      'SELECT last_seq, agent_type FROM chat_sessions WHERE user_id = $1 AND id = $2',
      [clearUser.userId, clearUser.sessionId],
    );
    log(`erase: loading ${clearMessages} messages into one session of another user, to clear its history`);
    await loadSessionMessages(clients, {
      ...clearUser,
      agentType: rows[0].agent_type,
      lo: rows[0].last_seq + 1,
      hi: rows[0].last_seq + clearMessages,
      t0Ms: Date.now() - 3_600_000,
      dtMs: 3_000_000 / clearMessages,
    });
    await deriveFromBaseRows(db, [clearUser.userId]);
    await db.query('VACUUM (ANALYZE) chat_messages, chat_sessions, usage_daily');
    results.push(
      await measureErasure(
        config,
        `DELETE /sessions/{id}/messages (${clearMessages})`,
        () => timedSend(`${serviceUrl}/api/v1/sessions/${clearUser.sessionId}/messages`, tokenFor(clearUser.userId)),
        rowsOfSessionHistory(db, clearUser.userId, clearUser.sessionId),
        readers,
        log,
      ),
    );
  }
  results.push(
    await measureErasure(
      config,
      `DELETE /users/me (H, ${world.heavyMessages} messages)`,
      () => timedSend(`${serviceUrl}/api/v1/users/me`, tokenFor(world.heavyUserId)),
      rowsOfUser(db, world.heavyUserId),
      readers,
      log,
    ),
  );
  return results;
}

/** H's export, plain then gzipped, each read to the end while the service's RSS is sampled. */
async function exportsOf(serviceUrl: string, token: string, pid: number, log: (m: string) => void): Promise<ExportResult[]> {
  const results: ExportResult[] = [];
  for (const encoding of ['identity', 'gzip'] as const) {
    const result = await measureExport(serviceUrl, token, pid, encoding);
    log(
      `  GET /users/me/export (${encoding}): ${result.message_lines} messages in ${result.seconds} s (${result.messages_per_s}/s), ` +
        `RSS ${result.rss_before_mib} → peak ${result.rss_peak_mib} MiB`,
    );
    results.push(result);
  }
  return results;
}

/** Writes bench/results/scale-<date>.md and .json (after every step too, so a failed run keeps what it measured). */
function writeReport(config: ScaleConfig, serverVersion: string, steps: StepResult[], erasure: ErasureResult[], started: number): string {
  const cpus = os.cpus();
  const report: ScaleReport = {
    generated_at: new Date().toISOString(),
    git_sha: gitSha(),
    machine: {
      cpu_model: cpus[0]?.model ?? 'unknown',
      cpus: cpus.length,
      memory_gib: round(os.totalmem() / 2 ** 30, 1),
      load_average_at_end: os.loadavg().map((l) => round(l, 1)),
      node: process.version,
      postgres: serverVersion,
      database: config.databaseUrl ? 'BENCH_DATABASE_URL' : 'embedded (fresh, .data/bench-scale)',
    },
    settings: {
      steps: config.steps,
      users: config.otherUsers + 1,
      other_messages: config.otherMessages,
      requests: config.requests,
      warmup: config.warmup,
      route_budget_s: config.routeBudgetS,
      pool_size: config.poolSize,
      erase: config.erase,
      exports: config.measureExports,
    },
    steps,
    erasure,
    total_s: round((Date.now() - started) / 1000, 1),
  };
  const markdown = formatScaleReport(report);
  const base = path.join(RESULTS_DIR, `scale-${report.generated_at.slice(0, 10)}`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  return markdown;
}

export async function scaleMain(cleanups: Cleanup[], log: (m: string) => void): Promise<void> {
  const started = Date.now();
  const config = loadScaleConfig(process.argv);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const databaseUrl = config.databaseUrl ?? (await startEmbedded(cleanups, log));
  const jwtSecret = randomBytes(36).toString('base64url');
  const { url: serviceUrl, pid: servicePid } = await startService(config, databaseUrl, jwtSecret, cleanups, log);
  const clients: pg.Client[] = [];
  for (let i = 0; i < config.loadConnections; i++) {
    const client = await connect(databaseUrl, `bench-scale-load-${i}`, cleanups);
    await tuneForLoading(client);
    clients.push(client);
  }
  const [db] = clients;
  const serverVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  await resetScaleData(db);

  const tokens = new Map<string, string>();
  const tokenFor = (userId: string, role: 'user' | 'admin' = 'user') => {
    if (!tokens.has(userId)) tokens.set(userId, mintAccessToken(jwtSecret, userId, 6 * 3600, role));
    return tokens.get(userId)!;
  };
  const background = progress('background', log);
  log(`loading ${config.otherUsers} other users with ${config.otherMessages} messages`);
  const world = await loadBackground(db, clients, config, background.add);
  await finishStep(db, world, world.userIds);
  log(`background loaded in ${background.done().toFixed(1)} s`);
  const heavy = tokenFor(world.heavyUserId);
  const admin = tokenFor(world.adminUserId, 'admin');

  const steps: StepResult[] = [];
  let erasure: ErasureResult[] = [];
  for (const step of config.steps) {
    // What the service wrote during the last step's appends must be what the derivation would write.
    await checkDerivedData(db, [world.heavyUserId]);
    const loading = progress(`step ${step}`, log);
    await growHeavyUser(clients, world, step, loading.add);
    const derived = await finishStep(db, world, [world.heavyUserId]);
    const loadS = round(loading.done(), 1);
    log(
      `step ${step}: H has ${world.heavyMessages} messages in ${world.heavySessions} sessions (S ${world.sMessages}); loaded in ${loadS} s`,
    );
    const { sizes, avgContentBytes } = await tableSizes(db);
    const routes = await measureStep(serviceUrl, world, { heavy, admin }, config, log);
    const exports = config.measureExports ? await exportsOf(serviceUrl, heavy, servicePid, log) : [];
    steps.push({
      step,
      heavy_messages: world.heavyMessages,
      heavy_sessions: world.heavySessions,
      s_messages: world.sMessages,
      database_messages: sizes.find((t) => t.table === 'chat_messages')!.rows,
      load_s: loadS,
      derive_s: derived,
      routes,
      exports,
      sizes,
      avg_content_bytes: avgContentBytes,
    });
    writeReport(config, serverVersion, steps, erasure, started);
  }
  if (config.erase) erasure = await eraseAtLastStep(clients, config, world, serviceUrl, tokenFor, log);

  const markdown = writeReport(config, serverVersion, steps, erasure, started);
  process.stdout.write(`${markdown}\nWritten bench/results/scale-${new Date().toISOString().slice(0, 10)}.md and .json\n`);
}

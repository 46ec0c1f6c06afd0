import 'reflect-metadata';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createApp, type App } from './app.factory.js';
import { createRootLogger } from './common/logging/logger.js';
import { InvalidConfigError, validateEnv, type Env } from './config/env.js';
import { withJwtSecret } from './config/jwt-secret.js';
import { EmbeddedPostgres, EmbeddedPostgresError } from './database/embedded-postgres.js';
import { provisionAppRole } from './database/row-security/app-role.js';
import { AdminTakeoverRefused } from './users/user.errors.js';

/** Keep accepting briefly after a signal: connections the kernel already accepted are served, not reset. */
const DRAIN_GRACE_MS = 300;

async function main(): Promise<void> {
  const validated = validEnvOrExit();
  const logger = createRootLogger(validated);
  const env = await withJwtSecret(validated, (message) => logger.warn(message));
  const embedded = env.DATABASE_URL ? null : new EmbeddedPostgres(path.resolve(env.DATA_DIR), (m) => logger.info(m));
  const databaseUrl = env.DATABASE_URL ?? (await embedded!.start());
  if (embedded) logger.info(`Embedded PostgreSQL running with its data in ${embedded.clusterDir}`);

  let app: App;
  try {
    const appUrl = env.DATABASE_RLS === 'on' && embedded ? await provisionAppRole(databaseUrl) : env.DATABASE_APP_URL;
    app = await createApp({ ...env, DATABASE_URL: databaseUrl, DATABASE_APP_URL: appUrl }, logger);
    await app.app.listen({ port: env.PORT, host: env.HOST });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  logger.info(`Listening on http://${env.HOST}:${env.PORT} (API under /api/v1, docs at /docs)`);
  handleSignals(app, embedded, env.SHUTDOWN_TIMEOUT_MS, logger);
}

function validEnvOrExit(): Env {
  try {
    return validateEnv(process.env);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * SIGINT/SIGTERM: ask clients to close their connections, stop accepting, let requests in flight finish
 * (up to SHUTDOWN_TIMEOUT_MS), close the pool, and only then stop the embedded database. A second signal
 * skips the wait.
 */
function handleSignals(app: App, embedded: EmbeddedPostgres | null, timeoutMs: number, logger: Logger): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: stopping now`);
      await embedded?.stop().catch(() => undefined);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: draining requests (up to ${timeoutMs} ms)`);
    app.startDraining();
    await sleep(Math.min(DRAIN_GRACE_MS, timeoutMs));
    const closed = await Promise.race([app.app.close().then(() => true), sleep(timeoutMs).then(() => false)]).catch((error: unknown) => {
      logger.error({ err: error }, 'error while closing the app');
      return false;
    });
    if (!closed) logger.warn('Shutdown timeout reached; requests still running were cut off');
    await embedded?.stop().catch((error: unknown) => logger.error({ err: error }, 'could not stop the embedded database'));
    logger.info('Stopped');
    logger.flush();
    process.exit(closed ? 0 : 1);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  const expected = error instanceof EmbeddedPostgresError || error instanceof AdminTakeoverRefused;
  const text = error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error);
  process.stderr.write(`Failed to start: ${text}\n`);
  process.exit(1);
});

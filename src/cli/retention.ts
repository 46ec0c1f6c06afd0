import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { createRootLogger } from '../common/logging/logger.js';
import { validateEnv } from '../config/env.js';
import { withJwtSecret } from '../config/jwt-secret.js';
import { toolDatabaseUrl } from '../database/tool-database-url.js';
import { RetentionJob, type PlannedAction, type RetentionReport } from '../retention/retention.job.js';

/**
 * `npm run retention [-- --dry-run]`: runs the retention job once, now, with the service's settings
 * (CHAT_SESSION_CLEANUP_DAYS, CHAT_INACTIVE_RETENTION_DAYS, RETENTION_MODE), against DATABASE_URL or the
 * embedded database of a running `npm start`. `--dry-run` prints what it would do and changes nothing.
 * A real run takes the same lease as the scheduled job (if an instance is running it, this one says so and
 * exits 1). What it purges or deletes is gone from every read when it ends; the service's erasure workers
 * then delete the rows in the background, as for any permanent delete.
 */
const args = process.argv.slice(2);
if (args.some((arg) => arg !== '--dry-run')) {
  process.stderr.write('Usage: npm run retention [-- --dry-run]\n');
  process.exit(2);
}
const dryRun = args.includes('--dry-run');
const env = validateEnv(process.env);
const logger = createRootLogger({ LOG_LEVEL: 'info' });
const resolved = { ...(await withJwtSecret(env, () => undefined)), DATABASE_URL: await toolDatabaseUrl(env) };
// No schedule and no erasure worker in this process: it does its one run; the service erases the rows.
const app = await NestFactory.createApplicationContext(
  AppModule.forRoot(
    { ...resolved, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined, RETENTION_SCHEDULE: 'off', ERASURE_INTERVAL_MS: 0 },
    logger,
  ),
  { logger: ['error', 'warn'] },
);
// The job's progress lines, once the boot's lines are past.
if (!dryRun) app.useLogger(['log', 'error', 'warn']);
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  const job = app.get(RetentionJob);
  if (dryRun) printPlan(await job.plan(), env.CHAT_INACTIVE_RETENTION_DAYS === undefined);
  else {
    const report = await job.run();
    printReport(report);
    if (!report.ran) process.exitCode = 1;
  }
} finally {
  await app.close();
  logger.flush();
}

function printPlan(plan: PlannedAction[], inactiveKept: boolean): void {
  out('retention dry run (nothing changed):');
  for (const item of plan) {
    const what = item.action === 'purge' ? 'soft-deleted before' : 'inactive, last message (or import) before';
    const oldest = item.oldest ? `, oldest ${item.oldest.toISOString()}` : '';
    out(`  ${item.action.padEnd(9)} ${item.sessions} sessions (${item.messages} messages): ${what} ${item.before.toISOString()}${oldest}`);
  }
  if (inactiveKept) out('  inactive sessions are kept (CHAT_INACTIVE_RETENTION_DAYS is not set)');
}

function printReport(report: RetentionReport): void {
  if (!report.ran) {
    out(`retention: not run, ${report.heldBy ?? 'another instance'} is running it now`);
    return;
  }
  for (const item of report.actions) {
    const messages = item.action === 'anonymize' ? `, ${item.messages} messages` : '';
    out(`  ${item.action.padEnd(9)} ${item.sessions} sessions${messages} in ${item.batches} batches`);
  }
  if (!report.complete) out('retention: stopped before the end; the next run goes on');
}

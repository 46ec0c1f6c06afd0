import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { createRootLogger } from '../common/logging/logger.js';
import { validateEnv } from '../config/env.js';
import { withJwtSecret } from '../config/jwt-secret.js';
import { toolDatabaseUrl } from '../database/tool-database-url.js';
import { AdminTakeoverRefused } from '../users/user.errors.js';
import { UsersService } from '../users/users.service.js';

/**
 * `ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run admin:create [-- --force]`: creates that admin, or promotes the
 * existing account when ADMIN_PASSWORD is its password, the same way the service does at start (the password
 * stays out of the process list). `--force` also promotes an account with another password, resetting it
 * to ADMIN_PASSWORD, for an operator who owns that email.
 */
const env = validateEnv(process.env);
if (!env.ADMIN_EMAIL || !env.ADMIN_PASSWORD) {
  process.stderr.write('Set ADMIN_EMAIL and ADMIN_PASSWORD (8 to 128 characters).\n');
  process.exit(1);
}
const force = process.argv.slice(2).includes('--force');
const logger = createRootLogger({ LOG_LEVEL: 'info' });
const resolved = { ...(await withJwtSecret(env, () => undefined)), DATABASE_URL: await toolDatabaseUrl(env) };
// Without ADMIN_* the module's start-up bootstrap stays out of the way; this command does the work itself.
const app = await NestFactory.createApplicationContext(
  AppModule.forRoot({ ...resolved, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined }, logger),
  {
    logger: ['error', 'warn'],
  },
);
try {
  const outcome = await app.get(UsersService).ensureAdmin(env.ADMIN_EMAIL, env.ADMIN_PASSWORD, { resetPassword: force });
  logger.info(`${env.ADMIN_EMAIL} is an admin (${outcome}${force && outcome === 'promoted' ? ', password reset' : ''})`);
} catch (error) {
  if (!(error instanceof AdminTakeoverRefused)) throw error;
  logger.error(error.message);
  process.exitCode = 1;
} finally {
  await app.close();
  logger.flush();
}

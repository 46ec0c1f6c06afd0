import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { createRootLogger } from '../common/logging/logger.js';
import { validateEnv } from '../config/env.js';
import { withJwtSecret } from '../config/jwt-secret.js';
import { toolDatabaseUrl } from '../database/tool-database-url.js';

/**
 * `ADMIN_EMAIL=… ADMIN_PASSWORD=… npm run admin:create`: creates that admin, or promotes the existing
 * account, the same way the service does at start (the password stays out of the process list).
 */
const env = validateEnv(process.env);
if (!env.ADMIN_EMAIL || !env.ADMIN_PASSWORD) {
  process.stderr.write('Set ADMIN_EMAIL and ADMIN_PASSWORD (8 to 128 characters).\n');
  process.exit(1);
}
const logger = createRootLogger({ LOG_LEVEL: 'info' });
const resolved = { ...(await withJwtSecret(env, () => undefined)), DATABASE_URL: await toolDatabaseUrl(env) };
const app = await NestFactory.createApplicationContext(AppModule.forRoot(resolved, logger), { logger: ['error', 'warn'] });
await app.close();
logger.info(`${env.ADMIN_EMAIL} is an admin`);
logger.flush();

import type { Env } from '../config/env.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/**
 * For command-line tools (TypeORM CLI, admin creation): DATABASE_URL, or else the embedded database of a
 * service running from this directory (`npm start`), found through its postmaster.pid.
 */
export async function toolDatabaseUrl(env: Env): Promise<string> {
  const url = env.DATABASE_URL ?? (await new EmbeddedPostgres(env.DATA_DIR, () => undefined).runningUrl());
  if (!url) throw new Error('Set DATABASE_URL, or start the service (npm start) so that its embedded database is running.');
  return url;
}

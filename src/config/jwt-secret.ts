import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigService } from '@nestjs/config';
import type { Env } from './env.js';
import type { EnvironmentVariables } from './env.schema.js';

/**
 * Outside production JWT_SECRET may be left out: a random secret is generated once and kept in
 * DATA_DIR/jwt-secret, so tokens survive restarts. (validateEnv already demands it in production.)
 */
export async function withJwtSecret(env: Env, warn: (message: string) => void): Promise<Env & { JWT_SECRET: string }> {
  if (env.JWT_SECRET) return { ...env, JWT_SECRET: env.JWT_SECRET };
  const file = path.resolve(env.DATA_DIR, 'jwt-secret');
  let secret = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (secret.length < 32) {
    secret = randomBytes(48).toString('base64url');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
  }
  warn(`JWT_SECRET is not set: using the generated secret in ${file}. Set JWT_SECRET for anything but local use.`);
  return Object.freeze({ ...env, JWT_SECRET: secret });
}

/** The secret for signing tokens and cursors; withJwtSecret() has always resolved it before the app starts. */
export function jwtSecret(config: ConfigService<EnvironmentVariables, true>): string {
  const secret = config.get('JWT_SECRET', { infer: true });
  if (!secret) throw new Error('JWT_SECRET was not resolved before the app started (see withJwtSecret)');
  return secret;
}

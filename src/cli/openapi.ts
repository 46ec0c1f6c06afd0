import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp } from '../app.factory.js';
import { createRootLogger } from '../common/logging/logger.js';
import { sortKeys } from '../common/swagger/sort-keys.js';
import { validateEnv } from '../config/env.js';
import { EmbeddedPostgres } from '../database/embedded-postgres.js';

/**
 * `npm run openapi`: boots the real app (on a throwaway embedded database, defaults for every setting, the
 * host's environment ignored) and writes the document it serves at /docs-json to openapi.json, keys sorted,
 * so the committed file changes only when the API does.
 */
const output = path.resolve(process.argv[2] ?? 'openapi.json');
const database = new EmbeddedPostgres(path.resolve('.data/openapi'), () => undefined);
const url = await database.start({ fresh: true });
try {
  const env = validateEnv({ LOG_LEVEL: 'warn', DATABASE_URL: url, JWT_SECRET: 'openapi-document-only-0123456789abcdef' });
  const { app } = await createApp({ ...env, DATABASE_URL: url }, createRootLogger(env));
  const response = await app.inject({ method: 'GET', url: '/docs-json' });
  await app.close();
  if (response.statusCode !== 200) throw new Error(`/docs-json answered ${response.statusCode}`);
  await writeFile(output, `${JSON.stringify(sortKeys(response.json()), null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), output)}\n`);
} finally {
  await database.stop();
}

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnv } from './src/config/env.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { toolDatabaseUrl } from './src/database/tool-database-url.js';

/** The DataSource of the TypeORM CLI (`npm run migration:*`): same options as the app, same migrations. */
const env = validateEnv(process.env);

export default new DataSource(buildDataSourceOptions({ ...env, DATABASE_URL: await toolDatabaseUrl(env) }));

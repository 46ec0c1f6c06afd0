import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll } from '@jest/globals';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.factory.js';
import { createRootLogger } from '../../src/common/logging/logger.js';
import { validateEnv } from '../../src/config/env.js';
import { FakeLlmServer } from './fake-llm.js';
import { testDatabaseUrl, testEnv } from './test-env.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** Pass to supertest: `request(t.server)`. */
  server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** The real application (same bootstrap as main.ts) against the test database, not listening. */
export async function createTestApp(overrides: Record<string, string> = {}, logTo?: DestinationStream): Promise<TestApp> {
  const env = validateEnv(testEnv(overrides));
  const { app } = await createApp({ ...env, DATABASE_URL: env.DATABASE_URL! }, createRootLogger(env, logTo));
  return { app, server: app.getHttpServer(), close: () => app.close() };
}

/** Like createTestApp, but listening on a loopback port, for tests that need real concurrent connections. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp & { url: string }> {
  const testApp = await createTestApp(overrides);
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...testApp, url: await testApp.app.getUrl() };
}

/** A direct connection for checking what the API stored (and for setting up states the API cannot). */
export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
}

/**
 * For a describe block: a listening test app whose `openai` provider is a fresh fake model server on
 * 127.0.0.1 (model `fake-model`), started before the block's tests and stopped after them.
 */
export function appWithFakeLlm(settings: Record<string, string> = {}): { fake: FakeLlmServer; app: () => TestApp & { url: string } } {
  const fake = new FakeLlmServer();
  let app: TestApp & { url: string };
  beforeAll(async () => {
    app = await startTestApp({ LLM_PROVIDER: 'openai', LLM_BASE_URL: await fake.start(), LLM_MODEL: 'fake-model', ...settings });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });
  return { fake, app: () => app };
}

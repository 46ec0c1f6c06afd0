import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { answerClientError, answerConnect, answerFrameworkError, refuseOddRequests } from './common/filters/framework-errors.js';
import { ProblemFilter } from './common/filters/problem.filter.js';
import { setupSwagger } from './common/swagger/openapi-document.js';
import { guardInput } from './common/validation/input-shape.js';
import { acceptStreamedBodies } from './common/validation/streamed-body.js';
import { StrictValidationPipe } from './common/validation/validation.pipe.js';
import type { Env } from './config/env.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';

export const API_PREFIX = 'api/v1';
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface App {
  app: NestFastifyApplication;
  /** From now on responses ask clients to close their connection, and idle connections are dropped. */
  startDraining(): void;
}

/**
 * Builds the whole application: the one bootstrap used by main.ts and by the e2e tests, so tests run the
 * real adapter, parsers, pipes, filter, guards and docs. The app is initialised but not listening.
 */
export async function createApp(env: Env & { DATABASE_URL: string }, logger: Logger): Promise<App> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT,
    trustProxy: fastifyTrustProxy(env.TRUST_PROXY),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const fastify = adapter.getInstance();
  // JSON only (Fastify's own parser; Nest's extra parsers are off below): anything else is a 415.
  fastify.removeContentTypeParser(['text/plain']);

  let draining = false;
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onRequest', refuseOddRequests);
  const { BODY_MAX_DEPTH, BODY_MAX_KEYS, BODY_MAX_ARRAY_LENGTH, BODY_MAX_NODES } = env;
  guardInput(fastify, {
    maxDepth: BODY_MAX_DEPTH,
    maxKeys: BODY_MAX_KEYS,
    maxArrayLength: BODY_MAX_ARRAY_LENGTH,
    maxNodes: BODY_MAX_NODES,
  });
  acceptStreamedBodies(fastify);
  // Decided when the response goes out, so requests already running when draining starts close too.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env, logger), adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(NestPinoLogger));
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready'] });
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  await app.register(helmet, {
    // Swagger UI needs inline styles and data: images; upgrading its calls to https would break plain-http setups.
    contentSecurityPolicy: {
      directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
    },
  });
  if (env.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: env.CORS_ORIGINS.includes('*') ? true : env.CORS_ORIGINS,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location'],
      maxAge: 600,
    });
  }
  setupSwagger(app);
  await app.init();
  await fastify.ready();
  app.getHttpServer().on('connect', answerConnect);
  const startDraining = () => {
    draining = true;
    // server.close() only drops connections idle at that moment; keep-alive connections that go idle
    // later (a request finishing, a stream ending) are dropped here instead of at their keep-alive timeout.
    const server = app.getHttpServer();
    const closer = setInterval(() => server.closeIdleConnections(), 100);
    server.once('close', () => clearInterval(closer));
  };
  return { app, startDraining };
}

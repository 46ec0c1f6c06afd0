import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Env } from '../../config/env.js';

/**
 * Log lines carry only the serialised request and response below and sanitised errors (see the problem
 * filter), never bodies. Redaction covers the credential headers in case a serializer ever includes them;
 * fixed paths only, since wildcard paths are evaluated on every line.
 */
const REDACT = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** The process's one pino logger (JSON lines, asynchronous writes), shared by bootstrap code and Nest; tests may pass where lines go. */
export function createRootLogger(env: Pick<Env, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  const options = {
    level: env.LOG_LEVEL,
    base: { service: 'chat-history-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  return env.LOG_LEVEL === 'silent' ? pino(options) : pino(options, pino.destination({ sync: false }));
}

/** nestjs-pino: one access-log line per request carrying the request id; only the path is logged, not the query. */
export function httpLoggerParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
      genReqId: (req: IncomingMessage) => String((req as { id?: unknown }).id ?? ''),
      quietReqLogger: true,
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          remote_address: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    },
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    // Fields the request assigns (the API key's id, the user it acts for) go on its access-log line too.
    assignResponse: true,
  };
}

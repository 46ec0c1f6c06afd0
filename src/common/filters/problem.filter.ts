import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { problemBody, ProblemException, type FieldError, type ProblemBody, type ProblemCode } from '../problem/problem.js';

interface Problem {
  status: number;
  code: ProblemCode;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Fastify's own errors (body parsing, content type), which Nest hands over as the cause of an HttpException. */
const FASTIFY_ERRORS: Record<string, Omit<Problem, 'status'>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', detail: 'Send the request body as application/json.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'The request body is larger than this service accepts.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', detail: 'The request declares a JSON body but sends none.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', detail: 'The Content-Length header does not match the body.' },
};

const CODE_BY_STATUS: Record<number, ProblemCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** SQLSTATE classes and driver messages meaning "the database cannot be reached right now". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
const UNAVAILABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection timeout|Connection ended|Client has encountered a connection error/i;

const logger = new Logger('ProblemFilter');

/**
 * The one place errors become responses: application/problem+json (RFC 9457) with a stable `code`.
 * A 500 says nothing about its cause; the cause goes to the log with the request id.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { problem, body } = describeProblem(exception, request.url ?? '/', request.id);
    if (reply.sent || reply.raw.headersSent) return;
    void reply
      .status(problem.status)
      .headers(problem.headers ?? {})
      .type('application/problem+json; charset=utf-8')
      .send(JSON.stringify(body));
  }
}

/** Maps any error to its problem (status, code, headers) and body; also used where no reply can carry it, like an SSE stream. */
export function describeProblem(exception: unknown, url: string, requestId: string): { problem: Problem; body: ProblemBody } {
  const problem = resolveProblem(exception, requestId);
  return { problem, body: problemBody(problem.status, problem.code, problem.detail, url.split('?')[0], problem.errors) };
}

function resolveProblem(exception: unknown, requestId: string): Problem {
  if (exception instanceof ProblemException) {
    return { status: exception.getStatus(), code: exception.code, detail: exception.detail, ...exception.extras };
  }
  if (exception instanceof ThrottlerException) {
    return { status: 429, code: 'rate_limited', detail: 'Too many requests from this client; retry later.' };
  }
  if (exception instanceof HttpException && exception.getStatus() < 500) return fromHttpException(exception);

  const database = databaseProblem(exception);
  if (database) {
    logger.warn({ err: loggable(exception), reqId: requestId }, `database unavailable: ${errorMessage(exception)}`);
    return database;
  }
  if (exception instanceof HttpException && exception.getStatus() === HttpStatus.SERVICE_UNAVAILABLE) {
    return {
      status: 503,
      code: 'service_unavailable',
      detail: 'The service cannot reach its database right now.',
      headers: { 'Retry-After': '1' },
    };
  }
  logger.error({ err: loggable(exception), reqId: requestId }, `unhandled error: ${errorMessage(exception)}`);
  return { status: 500, code: 'internal_error', detail: 'An unexpected error occurred. It has been logged.' };
}

function fromHttpException(exception: HttpException): Problem {
  const status = exception.getStatus();
  const fastifyCode = (exception.cause as { code?: string } | undefined)?.code;
  const known = fastifyCode ? FASTIFY_ERRORS[fastifyCode] : undefined;
  if (known) return { status, ...known };
  if (exception.cause instanceof SyntaxError) return { status: 400, ...FASTIFY_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY };
  const code = CODE_BY_STATUS[status] ?? 'bad_request';
  if (status === 404) return { status, code, detail: 'No such resource or route.' };
  return { status, code, detail: safeMessage(exception) };
}

function databaseProblem(exception: unknown): Problem | null {
  const driverError = exception instanceof QueryFailedError ? (exception.driverError as { code?: string; constraint?: string }) : null;
  const sqlState = driverError?.code ?? (exception as { code?: unknown })?.code;
  if (
    typeof sqlState === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(sqlState) || UNAVAILABLE_ERRNOS.has(sqlState) || sqlState.startsWith('08'))
  ) {
    return {
      status: 503,
      code: 'service_unavailable',
      detail: 'The database is unavailable; retry shortly.',
      headers: { 'Retry-After': '1' },
    };
  }
  if (exception instanceof Error && !(exception instanceof HttpException) && UNAVAILABLE_MESSAGE.test(exception.message)) {
    return {
      status: 503,
      code: 'service_unavailable',
      detail: 'The database is unavailable; retry shortly.',
      headers: { 'Retry-After': '1' },
    };
  }
  // lock_timeout: the request waited too long behind its own user's other requests (see TransactionSettings).
  if (sqlState === '55P03') {
    return {
      status: 429,
      code: 'rate_limited',
      detail: 'Too many of your requests are waiting on the same data; retry shortly.',
      headers: { 'Retry-After': '1' },
    };
  }
  // Class 22, data exception: text PostgreSQL cannot store (NUL), values out of range. The input is at fault.
  if (typeof sqlState === 'string' && sqlState.startsWith('22')) {
    return {
      status: 400,
      code: 'validation_failed',
      detail: 'The request contains a value the database cannot store (for example a NUL character).',
    };
  }
  // A row written for a user deleted while their access token is still valid.
  if (sqlState === '23503' && driverError?.constraint?.endsWith('user_id_fkey')) {
    return { status: 401, code: 'unauthorized', detail: 'This account no longer exists.', headers: { 'WWW-Authenticate': 'Bearer' } };
  }
  return null;
}

/** Messages of 4xx HttpExceptions are written by Nest, Passport or this service, never by a driver. */
function safeMessage(exception: HttpException): string {
  const response = exception.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * What of an error goes to the log: never a failed query's parameter values, which can hold message text,
 * password hashes or token hashes.
 */
function loggable(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { message: String(exception) };
  const driverError = exception instanceof QueryFailedError ? (exception.driverError as { code?: string; constraint?: string }) : undefined;
  return {
    type: exception.name,
    message: exception.message,
    code: driverError?.code ?? (exception as { code?: unknown }).code,
    constraint: driverError?.constraint,
    query: exception instanceof QueryFailedError ? exception.query : undefined,
    stack: exception.stack,
  };
}

function errorMessage(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}

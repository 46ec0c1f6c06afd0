import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BAD_REQUEST, HEADER_TOO_LARGE, METHOD_NOT_ALLOWED, REQUEST_TIMEOUT, URI_TOO_LONG } from '../problem/framework.problems.js';
import { problem, problemBody, type ProblemSpec } from '../problem/problem.js';

const KNOWN: Record<string, ProblemSpec> = {
  FST_ERR_BAD_URL: { ...BAD_REQUEST, detail: 'The URL is malformed.' },
  FST_ERR_MAX_PARAM_LENGTH: { ...URI_TOO_LONG, detail: 'A path segment of this URL is too long.' },
};

/** The methods the API's routes answer; anything else (TRACE, PROPFIND, QUERY, …) is a 405 on every path. */
const ANSWERED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Below Node's 16 KiB header limit (which answers 431), so a long URL is named as such. */
export const MAX_URL_LENGTH = 8192;

/**
 * Errors Fastify meets while routing, before Nest sees the request (bad percent-encoding, over-long path
 * parameters): answered as problem+json like everything else.
 */
export function answerFrameworkError(
  error: Error & { code?: string; statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = (error.code && KNOWN[error.code]) || { ...BAD_REQUEST, detail: 'The request could not be routed.' };
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .status(status)
    .header('x-request-id', request.id)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problemBody(status, known.code, known.detail, (request.url ?? '/').split('?')[0].slice(0, 200))));
}

/** First hook of every request: odd methods and over-long URLs end here, through the exception filter. */
export function refuseOddRequests(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (!ANSWERED_METHODS.includes(request.method)) done(problem(METHOD_NOT_ALLOWED, { headers: { Allow: ANSWERED_METHODS.join(', ') } }));
  else if (request.url.length > MAX_URL_LENGTH) done(problem(URI_TOO_LONG));
  else done();
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request object exists (headers
 * over 16 KiB, malformed request lines, unknown methods, slow clients) gets a problem+json answer too,
 * written straight to the socket, which is then closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const spec =
    error.code === 'HPE_HEADER_OVERFLOW' ? HEADER_TOO_LARGE : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT : BAD_REQUEST;
  // As Node's own handler does: answer unless a response on this (keep-alive) connection is already under way.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) socket.destroy(error);
  else writeProblem(socket, spec, '/');
}

/** Node hands CONNECT to a 'connect' listener instead of the app, and without one drops the connection unanswered. */
export function answerConnect(request: IncomingMessage, socket: Duplex): void {
  writeProblem(socket, METHOD_NOT_ALLOWED, (request.url ?? '/').slice(0, 200));
}

function writeProblem(socket: Duplex, spec: ProblemSpec, instance: string): void {
  const body = JSON.stringify(problemBody(spec.status, spec.code, spec.detail, instance));
  // end(), not destroy(): the answer must be flushed before the connection goes.
  socket.end(
    `HTTP/1.1 ${spec.status} ${STATUS_CODES[spec.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

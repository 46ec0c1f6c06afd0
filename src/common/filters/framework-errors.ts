import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemBody, type ProblemCode } from '../problem/problem.js';

const KNOWN: Record<string, { code: ProblemCode; detail: string }> = {
  FST_ERR_BAD_URL: { code: 'bad_request', detail: 'The URL is malformed.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', detail: 'A path segment of this URL is too long.' },
};

/**
 * Errors Fastify meets while routing, before Nest sees the request (bad percent-encoding, over-long path
 * parameters): answered as problem+json like everything else.
 */
export function answerFrameworkError(
  error: Error & { code?: string; statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = (error.code && KNOWN[error.code]) || { code: 'bad_request', detail: 'The request could not be routed.' };
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .status(status)
    .header('x-request-id', request.id)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problemBody(status, known.code, known.detail, (request.url ?? '/').split('?')[0].slice(0, 200))));
}

import { createParamDecorator, type ExecutionContext, HttpStatus } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ProblemException } from '../problem/problem.js';

/** A body a route reads itself, as it arrives: its media type (lower case, no parameters) and the raw stream. */
export interface StreamedBody {
  mediaType: string;
  stream: Readable;
  /** Content-Length, when the client declared one. */
  declaredLength: number | null;
}

/** Route config (`@RouteConfig(streamedBody([...]))`) of a route that reads its body as a stream. */
export const streamedBody = (mediaTypes: readonly string[]) => ({ streamedBody: { mediaTypes } });

/** Never sent by a client on purpose: it stands in for the real type of a streamed body (see acceptStreamedBodies). */
const STAND_IN_TYPE = 'application/x-chat-history-streamed-body';
const mediaTypes = new WeakMap<FastifyRequest, string>();
const bodies = new WeakMap<FastifyRequest, StreamedBody>();

/**
 * Fastify picks a body parser by content type alone, the same for every route, and its JSON parser buffers
 * up to BODY_LIMIT. A route declared with `streamedBody` reads its body itself, with a limit of its own: for
 * such a route only, a hook checks the content type against the route's list (415 otherwise) and swaps it
 * for a stand-in whose parser hands the stream over unread. Every other route keeps the global parsers and
 * limit, and a client that sends the stand-in type to one of them gets a 415.
 */
export function acceptStreamedBodies(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const config = (request.routeOptions.config as { streamedBody?: { mediaTypes: readonly string[] } } | undefined)?.streamedBody;
    if (!config) return done();
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!config.mediaTypes.includes(mediaType)) return done(unsupportedMediaType(config.mediaTypes));
    mediaTypes.set(request, mediaType);
    request.headers['content-type'] = STAND_IN_TYPE;
    done();
  });
  fastify.addContentTypeParser(STAND_IN_TYPE, (request, payload, done) => {
    const mediaType = mediaTypes.get(request);
    if (mediaType === undefined) return done(unsupportedMediaType(['application/json']), undefined);
    const length = Number(request.raw.headers['content-length']);
    bodies.set(request, { mediaType, stream: payload, declaredLength: Number.isSafeInteger(length) ? length : null });
    done(null, undefined);
  });
}

/** The streamed body of this request, for a handler of a `streamedBody` route. */
export const StreamedBodyParam = createParamDecorator((_data: unknown, context: ExecutionContext): StreamedBody => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const body = bodies.get(request);
  if (!body) throw new Error('StreamedBodyParam on a route without @RouteConfig(streamedBody(...))');
  return body;
});

function unsupportedMediaType(accepted: readonly string[]): ProblemException {
  return new ProblemException(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_media_type',
    `Send the request body as ${accepted.join(' or ')}.`,
  );
}

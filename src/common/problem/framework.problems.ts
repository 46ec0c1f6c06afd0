import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from './problem.js';

/** Problems answered before a request reaches a route: by Node's HTTP parser, Fastify's router or the app's first hook. */
export const BAD_REQUEST: ProblemSpec = { status: HttpStatus.BAD_REQUEST, code: 'bad_request', detail: 'The request is not valid HTTP.' };

export const METHOD_NOT_ALLOWED: ProblemSpec = {
  status: HttpStatus.METHOD_NOT_ALLOWED,
  code: 'method_not_allowed',
  detail: 'This service does not answer this HTTP method.',
};

export const REQUEST_TIMEOUT: ProblemSpec = {
  status: HttpStatus.REQUEST_TIMEOUT,
  code: 'request_timeout',
  detail: 'The request did not arrive in time.',
};

export const URI_TOO_LONG: ProblemSpec = {
  status: HttpStatus.URI_TOO_LONG,
  code: 'uri_too_long',
  detail: 'The URL is longer than this service accepts.',
};

export const HEADER_TOO_LARGE: ProblemSpec = {
  status: 431 as HttpStatus,
  code: 'header_too_large',
  detail: 'The request line and headers are larger than this service accepts.',
};

import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/**
 * Every `code` the service answers with: the one list. Typed uses (ProblemSpec, ProblemException, the filter)
 * only accept these, and the OpenAPI document's `code` enum is this list, so a new code is added here.
 */
export const PROBLEM_CODES = [
  'validation_failed',
  'confirmation_required',
  'invalid_json',
  'invalid_import',
  'bad_request',
  'uri_too_long',
  'header_too_large',
  'request_timeout',
  'model_not_allowed',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'invalid_credentials',
  'local_auth_disabled',
  'forbidden',
  'insufficient_scope',
  'on_behalf_of_required',
  'on_behalf_of_unknown',
  'api_key_not_found',
  'not_found',
  'user_not_found',
  'session_not_found',
  'message_not_found',
  'method_not_allowed',
  'not_acceptable',
  'conflict',
  'last_admin',
  'email_taken',
  'session_inactive',
  'session_limit_reached',
  'quota_exceeded',
  'rate_limited',
  'upstream_error',
  'service_unavailable',
  'internal_error',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, plus `code`, a stable identifier clients switch on. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance: string;
  errors?: FieldError[];
}

export interface ProblemOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Every error the service means to answer with. Anything else reaching the filter is a 500. */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: ProblemOptions = {},
  ) {
    super(detail, status);
  }
}

export function problemBody(status: number, code: ProblemCode, detail: string, instance: string, errors?: FieldError[]): ProblemBody {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    instance,
    ...(errors ? { errors } : {}),
  };
}

/** A documented problem (status, code, detail): the same object feeds Swagger examples and the thrown error. */
export interface ProblemSpec {
  status: HttpStatus;
  code: ProblemCode;
  detail: string;
}

export const problem = (spec: ProblemSpec, options?: ProblemOptions) => new ProblemException(spec.status, spec.code, spec.detail, options);

/** A refusal lists at most this many field errors, so its size does not grow with the input's. */
export const MAX_FIELD_ERRORS = 20;

export const validationFailed = (errors: FieldError[], detail = 'The request is not valid.') =>
  new ProblemException(
    HttpStatus.BAD_REQUEST,
    'validation_failed',
    errors.length > MAX_FIELD_ERRORS ? `${detail} The first ${MAX_FIELD_ERRORS} of ${errors.length} errors are listed.` : detail,
    { errors: errors.slice(0, MAX_FIELD_ERRORS) },
  );

export const unauthorized = (detail = 'A valid access token is required.') =>
  new ProblemException(HttpStatus.UNAUTHORIZED, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

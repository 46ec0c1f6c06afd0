import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

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
  code: string;
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
    readonly code: string,
    readonly detail: string,
    readonly extras: ProblemOptions = {},
  ) {
    super(detail, status);
  }
}

export function problemBody(status: number, code: string, detail: string, instance: string, errors?: FieldError[]): ProblemBody {
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
  code: string;
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

import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath, type ContentObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CODES, type ProblemCode } from '../problem/problem.js';

class FieldErrorDto {
  @ApiProperty({ example: 'title' })
  field!: string;

  @ApiProperty({ example: 'title must be shorter than or equal to 255 characters' })
  message!: string;
}

export class ProblemDto {
  @ApiProperty({ example: 'about:blank' })
  type!: string;

  @ApiProperty({ example: 'Not Found' })
  title!: string;

  @ApiProperty({ type: 'integer', example: 404 })
  status!: number;

  @ApiProperty({ example: 'No session with this id.' })
  detail!: string;

  @ApiProperty({
    enum: PROBLEM_CODES,
    enumName: 'ProblemCode',
    example: 'session_not_found',
    description: 'Stable identifier to switch on.',
  })
  code!: ProblemCode;

  @ApiProperty({ example: '/api/v1/sessions/5b0c1c55-8f1e-4c59-9c59-1b6f4f2a8e11' })
  instance!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], maxItems: 20, description: 'Only for validation_failed; at most 20 are listed.' })
  errors?: FieldErrorDto[];
}

export interface ProblemExample {
  status: number;
  code: ProblemCode;
  detail: string;
}

export const PROBLEM_DEFAULTS: Record<number, Omit<ProblemExample, 'status'>> = {
  400: { code: 'validation_failed', detail: 'The request is not valid.' },
  401: { code: 'unauthorized', detail: 'A valid access token is required.' },
  403: { code: 'forbidden', detail: 'This route requires the admin role.' },
  404: { code: 'not_found', detail: 'No such resource or route.' },
  405: { code: 'method_not_allowed', detail: 'This service does not answer this HTTP method.' },
  409: { code: 'conflict', detail: 'The request conflicts with the current state.' },
  413: { code: 'payload_too_large', detail: 'The request body is larger than this service accepts.' },
  414: { code: 'uri_too_long', detail: 'The URL is longer than this service accepts.' },
  415: { code: 'unsupported_media_type', detail: 'Send the request body as application/json.' },
  429: { code: 'rate_limited', detail: 'Too many requests from this client; retry later.' },
  431: { code: 'header_too_large', detail: 'The request line and headers are larger than this service accepts.' },
  500: { code: 'internal_error', detail: 'An unexpected error occurred. It has been logged.' },
  502: { code: 'upstream_error', detail: 'The model provider failed to answer.' },
  503: { code: 'service_unavailable', detail: 'The database is unavailable; retry shortly.' },
};

/** The problem+json content of one status, with one named example per code. */
export function problemContent(status: number, examples: ProblemExample[]): ContentObject {
  return {
    'application/problem+json': {
      schema: { $ref: getSchemaPath(ProblemDto) },
      examples: Object.fromEntries(examples.map((example) => [example.code, { value: problemExampleValue(example) }])),
    },
  };
}

function problemExampleValue({ status, code, detail }: ProblemExample) {
  return { type: 'about:blank', title: STATUS_CODES[status], status, detail, code, instance: '/api/v1/…' };
}

/**
 * Documents problem+json error responses. Pass a status for its usual code, or `{status, code, detail}`
 * for a route-specific one; several examples of one status are listed together. Every route gets 500;
 * what every route or every body can answer (503, 413, 415, invalid JSON) is added to the whole document
 * by openapi-document.ts.
 */
export function ApiProblems(...problems: (number | ProblemExample)[]) {
  const examples = [...problems, 500].map((p) => (typeof p === 'number' ? { status: p, ...PROBLEM_DEFAULTS[p] } : p));
  const byStatus = Map.groupBy(examples, (example) => example.status);
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.map((example) => `\`${example.code}\``).join(', '),
        content: problemContent(status, list),
      }),
    ),
  );
}

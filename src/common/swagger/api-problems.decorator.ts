import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

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

  @ApiProperty({ example: 404 })
  status!: number;

  @ApiProperty({ example: 'No session with this id.' })
  detail!: string;

  @ApiProperty({ example: 'session_not_found', description: 'Stable snake_case identifier to switch on.' })
  code!: string;

  @ApiProperty({ example: '/api/v1/sessions/5b0c1c55-8f1e-4c59-9c59-1b6f4f2a8e11' })
  instance!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], maxItems: 20, description: 'Only for validation_failed; at most 20 are listed.' })
  errors?: FieldErrorDto[];
}

export interface ProblemExample {
  status: number;
  code: string;
  detail: string;
}

const DEFAULTS: Record<number, Omit<ProblemExample, 'status'>> = {
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
  502: { code: 'upstream_error', detail: 'The model provider failed to answer.' },
  503: { code: 'service_unavailable', detail: 'The database is unavailable; retry shortly.' },
};

/**
 * Documents problem+json error responses. Pass a status for its usual code, or `{status, code, detail}`
 * for a route-specific one; several examples of one status are listed together. Every route gets 500.
 */
export function ApiProblems(...problems: (number | ProblemExample)[]) {
  const examples = [...problems, 500].map((p) =>
    typeof p === 'number' ? { status: p, ...(DEFAULTS[p] ?? { code: 'internal_error', detail: 'An unexpected error occurred.' }) } : p,
  );
  const byStatus = Map.groupBy(examples, (example) => example.status);
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.map((example) => `\`${example.code}\``).join(', '),
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDto) },
            examples: Object.fromEntries(
              list.map((example) => [
                example.code,
                {
                  value: {
                    type: 'about:blank',
                    title: STATUS_CODES[status],
                    status,
                    detail: example.detail,
                    code: example.code,
                    instance: '/api/v1/…',
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}

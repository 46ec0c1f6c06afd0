import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from '../decorators/public.decorator.js';
import { PROBLEM_DEFAULTS, problemContent, type ProblemExample } from './api-problems.decorator.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const HEADERS = {
  'X-Request-Id': {
    description: 'The X-Request-Id the request sent when it is 1 to 128 of `A-Za-z0-9_.:-`, otherwise a new UUID; logs carry it.',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string', enum: ['Bearer'] } },
};
const HEADERS_BY_STATUS: Record<string, (keyof typeof HEADERS)[]> = {
  '401': ['WWW-Authenticate'],
  '429': ['Retry-After'],
  '503': ['Retry-After'],
};
const INVALID_JSON: ProblemExample = { status: 400, code: 'invalid_json', detail: 'The request body is not valid JSON.' };
const IN_FLIGHT: ProblemExample = {
  status: 429,
  code: 'rate_limited',
  detail: 'Too many of your requests are running at once; retry after the ones in flight finish (see Retry-After).',
};
/** Answered from Node's client-error hook before the app sees a request: problem+json, but no X-Request-Id. */
const HEADERS_TOO_LARGE: ResponseObject = {
  description: 'The request headers are larger than the server accepts (16 KiB by default): `header_too_large`.',
  content: problemContent(431, [{ status: 431, code: 'header_too_large', detail: 'The request headers are too large.' }]),
};
const ON_BEHALF_OF: ParameterObject = {
  name: 'X-On-Behalf-Of',
  in: 'header',
  required: false,
  description:
    'Only with an API key of scope `act_as_user`: the user id, or a subject of `OIDC_ISSUER`, of the user the request acts for. ' +
    'The request then runs as that user with role `user` (admin routes answer 403). From any other caller: 403 `insufficient_scope`.',
  schema: { type: 'string', minLength: 1, maxLength: 255, example: '0b7d5a7e-5a43-4a51-9f5e-3f2d4c1b2a10' },
};
const SERVICE_ACCOUNT_PROBLEMS: ProblemExample[] = [
  { status: 400, code: 'validation_failed', detail: 'The request is not valid.' },
  { status: 401, code: 'unauthorized', detail: 'This API key has been revoked.' },
  { status: 403, code: 'insufficient_scope', detail: 'X-On-Behalf-Of needs an API key with the act_as_user scope.' },
  {
    status: 403,
    code: 'on_behalf_of_required',
    detail: "This route acts on a user's data: an API key must send X-On-Behalf-Of (scope act_as_user).",
  },
  {
    status: 422,
    code: 'on_behalf_of_unknown',
    detail: 'X-On-Behalf-Of names no user: neither a user id nor a subject of the configured OIDC issuer.',
  },
];
/** Liveness answers without the database; every other route can meet it unreachable. */
const WITHOUT_DATABASE = new Set(['/health/live']);

/**
 * What the HTTP layer does for every route, written into the document once instead of on each route: the
 * routes the global JWT guard lets through, the response headers the global hooks set, Node's 431, the
 * body parser's errors (where a route takes a body), 503 when the database is unreachable, and the
 * validation pipe's refusal of unknown body fields.
 */
export function addServiceWideResponses(document: OpenAPIObject): void {
  document.components = { ...document.components, headers: HEADERS };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      // Every authenticated route is behind the per-user in-flight limit (and transactions behind lock_timeout).
      if (!markPublic(operation)) {
        addProblem(operation, IN_FLIGHT);
        addServiceAccounts(operation);
      }
      addProblem(operation, { status: 414, ...PROBLEM_DEFAULTS[414] });
      if (operation.requestBody) addBodyProblems(operation);
      if (!WITHOUT_DATABASE.has(path)) addProblem(operation, { status: 503, ...PROBLEM_DEFAULTS[503] });
      for (const [status, response] of Object.entries(operation.responses)) addHeaders(status, response as ResponseObject);
      operation.responses['431'] = HEADERS_TOO_LARGE;
      closeRequestSchemas(document, operation);
    }
  }
}

/** Marks a public route `security: []`; true when it is public. */
function markPublic(operation: OperationObject & { [PUBLIC_EXTENSION]?: boolean }): boolean {
  if (!operation[PUBLIC_EXTENSION]) return false;
  operation.security = [];
  delete operation[PUBLIC_EXTENSION];
  return true;
}

/** Every authenticated route also takes an API key, and from a key X-On-Behalf-Of (see ServiceAccountGuard). */
function addServiceAccounts(operation: OperationObject): void {
  operation.security = [...(operation.security ?? []), { api_key: [] }];
  operation.parameters = [...(operation.parameters ?? []), ON_BEHALF_OF];
  for (const example of SERVICE_ACCOUNT_PROBLEMS) addProblem(operation, example);
}

function addBodyProblems(operation: OperationObject): void {
  addProblem(operation, INVALID_JSON);
  addProblem(operation, { status: 413, ...PROBLEM_DEFAULTS[413] });
  addProblem(operation, { status: 415, ...PROBLEM_DEFAULTS[415] });
}

/** Adds `example` to the operation's response of that status, creating the response if needed. */
function addProblem(operation: OperationObject, example: ProblemExample): void {
  const key = String(example.status);
  const existing = operation.responses[key] as ResponseObject | undefined;
  const media = existing?.content?.['application/problem+json'];
  if (!existing || !media) {
    operation.responses[key] = { description: `\`${example.code}\``, content: problemContent(example.status, [example]) };
    return;
  }
  if (media.examples?.[example.code]) return;
  media.examples = { ...media.examples, ...problemContent(example.status, [example])['application/problem+json'].examples };
  existing.description = `${existing.description}, \`${example.code}\``;
}

function addHeaders(status: string, response: ResponseObject): void {
  const names: (keyof typeof HEADERS)[] = ['X-Request-Id', ...(HEADERS_BY_STATUS[status] ?? [])];
  response.headers = { ...response.headers, ...Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }])) };
}

/** The validation pipe rejects fields a DTO does not declare: every object of a request body says so. */
function closeRequestSchemas(document: OpenAPIObject, operation: OperationObject): void {
  const body = operation.requestBody as { content?: Record<string, { schema?: SchemaObject | ReferenceObject }> } | undefined;
  const pending = Object.values(body?.content ?? {}).flatMap((media) => (media.schema ? [media.schema] : []));
  const seen = new Set<SchemaObject>();
  while (pending.length > 0) {
    const next = pending.pop()!;
    const schema = '$ref' in next ? document.components?.schemas?.[next.$ref.split('/').at(-1)!] : next;
    if (!schema || '$ref' in schema || seen.has(schema)) continue;
    seen.add(schema);
    if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
    pending.push(...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : []), ...(schema.allOf ?? []));
  }
}

import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { addServiceWideResponses } from './service-wide-responses.js';

/** The same in every AUTH_MODE, since this document is written once: which token each mode takes. */
const AUTHENTICATION =
  "Which access token depends on the deployment's AUTH_MODE: `local` (default), the `access_token` of " +
  '/auth/register, /auth/login or /auth/refresh; `oidc`, an access token of the configured identity provider ' +
  '(its issuer OIDC_ISSUER, audience OIDC_AUDIENCE; users are created on first sight, and the local /auth routes ' +
  'answer 404 `local_auth_disabled`); `both`, either.';

/** The OpenAPI document of the running app: what /docs-json serves and what `npm run openapi` writes. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chat History Service')
    .setDescription(
      'Persists LLM chat sessions, messages and token usage for frontends. All routes except auth, health and ' +
        'docs need `Authorization: Bearer <access_token>`. ' +
        AUTHENTICATION +
        " A service account's API key (`Authorization: Bearer chs_…` or `X-API-Key: chs_…`) works too; with scope " +
        '`act_as_user` and `X-On-Behalf-Of: <user id or subject>` it acts as that user.' +
        ' Errors are `application/problem+json` with a stable `code`. ' +
        'On any route: `bad_request` (400, malformed HTTP), `method_not_allowed` (405, methods other than GET, HEAD, POST, PUT, ' +
        'PATCH, DELETE, OPTIONS), `request_timeout` (408), `uri_too_long` (414, URL over 8192 characters), `header_too_large` ' +
        '(431, headers over 16 KiB); a JSON body deeper than BODY_MAX_DEPTH (32), with more than BODY_MAX_KEYS (1000) fields in an ' +
        'object, BODY_MAX_ARRAY_LENGTH (1000) items in an array or BODY_MAX_NODES (5000) values in all, or with a lone surrogate ' +
        'in a string, is a 400 `validation_failed` listing at most 20 errors. ' +
        'Lists page by `page` or by the opaque `cursor` of the previous response. Unknown body fields and query ' +
        'parameters are refused (400). Every response carries `X-Request-Id`.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'The server this document is served from')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: AUTHENTICATION })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: "A service account's API key (`chs_…`)." }, 'api_key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  addServiceWideResponses(document);
  return document;
}

/** Swagger UI at /docs and the JSON document at /docs-json. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

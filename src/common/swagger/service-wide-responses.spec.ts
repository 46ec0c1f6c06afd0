import type { OpenAPIObject } from '@nestjs/swagger';
import { addServiceWideResponses } from './service-wide-responses.js';

/** A document as SwaggerModule builds it: one public body route, one authenticated read, liveness. */
function document(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/things': {
        post: {
          'x-public': true,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateThing' } } } },
          responses: { '201': { description: 'Created.' }, '400': { description: '`validation_failed`', content: {} } },
        },
        get: { security: [{ bearer: [] }], responses: { '200': { description: 'OK.' }, '429': { description: 'Slow down.' } } },
      },
      '/health/live': { get: { 'x-public': true, responses: { '200': { description: 'OK.' } } } },
    },
    components: {
      schemas: {
        CreateThing: {
          type: 'object',
          properties: {
            part: { $ref: '#/components/schemas/Part' },
            tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          },
        },
        Part: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: true, properties: {} } } },
      },
    },
  } as OpenAPIObject;
}

describe('addServiceWideResponses', () => {
  it('gives public operations an empty security and drops the mark', () => {
    const doc = document();
    addServiceWideResponses(doc);
    expect(doc.paths['/things'].post).toMatchObject({ security: [] });
    expect(doc.paths['/things'].post).not.toHaveProperty('x-public');
    expect(doc.paths['/things'].get?.security).toEqual([{ bearer: [] }, { api_key: [] }]);
  });

  it('lets every authenticated operation take an API key and X-On-Behalf-Of, with their problems', () => {
    const doc = document();
    addServiceWideResponses(doc);
    const get = doc.paths['/things'].get!;
    expect(get.parameters).toEqual([expect.objectContaining({ name: 'X-On-Behalf-Of', in: 'header', required: false })]);
    const examples = (status: string) =>
      Object.keys(
        (get.responses[status] as { content: Record<string, { examples: object }> }).content['application/problem+json'].examples,
      );
    expect(examples('403')).toEqual(['insufficient_scope', 'on_behalf_of_required']);
    expect(examples('422')).toEqual(['on_behalf_of_unknown']);
    expect(doc.paths['/things'].post!.parameters).toBeUndefined();
  });

  it('documents parser errors only where a body is taken, 503 wherever the database is used, 429 behind auth', () => {
    const doc = document();
    addServiceWideResponses(doc);
    const post = doc.paths['/things'].post!.responses;
    const get = doc.paths['/things'].get!.responses;
    expect(Object.keys(post).sort()).toEqual(['201', '400', '413', '414', '415', '431', '503']);
    expect(Object.keys(get).sort()).toEqual(['200', '400', '401', '403', '414', '422', '429', '431', '503']);
    expect(get['429']).toMatchObject({ content: { 'application/problem+json': { examples: { rate_limited: expect.anything() } } } });
    expect(Object.keys(doc.paths['/health/live'].get!.responses).sort()).toEqual(['200', '414', '431']);
    expect(post['400']).toMatchObject({ content: { 'application/problem+json': { examples: { invalid_json: expect.anything() } } } });
  });

  it('puts X-Request-Id on every response the app sends, Retry-After on 429 and 503, none on the bare 431', () => {
    const doc = document();
    addServiceWideResponses(doc);
    const get = doc.paths['/things'].get!.responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(Object.keys(get['200'].headers ?? {})).toEqual(['X-Request-Id']);
    expect(Object.keys(get['429'].headers ?? {})).toEqual(['X-Request-Id', 'Retry-After']);
    expect(Object.keys(get['503'].headers ?? {})).toEqual(['X-Request-Id', 'Retry-After']);
    expect(get['431'].headers).toBeUndefined();
  });

  it('closes every object of a request body, following references, and leaves open maps open', () => {
    const doc = document();
    addServiceWideResponses(doc);
    type Closed = { additionalProperties?: unknown; items?: Closed; properties?: Record<string, Closed> };
    const schemas = doc.components!.schemas as Record<string, Closed>;
    expect(schemas.CreateThing.additionalProperties).toBe(false);
    expect(schemas.CreateThing.properties!.tags.items!.additionalProperties).toBe(false);
    expect(schemas.Part.additionalProperties).toBe(false);
    expect(schemas.Part.properties!.metadata.additionalProperties).toBe(true);
  });
});

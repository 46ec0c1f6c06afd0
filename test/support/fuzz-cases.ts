import { randomUUID } from 'node:crypto';

/** The parts of an OpenAPI 3 document the fuzz cases are derived from. */
interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}
interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface FuzzCase {
  label: string;
  method: string;
  path: string;
  /** A JSON text, sent as application/json. */
  body?: string;
}

const LONE_SURROGATE = '\ud800';
// Longer than any documented maxLength (message content is bounded at CHAT_MESSAGE_MAX_LENGTH, 10,000).
const OVERLONG = 'x'.repeat(20_000);
const ODD_METHODS = ['TRACE', 'PROPFIND', 'QUERY', 'MKCOL'];

/**
 * Every request the fuzz spec sends, derived from the service's own OpenAPI document: each body field set to
 * null, a wrong type, a lone surrogate and an over-long string (the other fields valid, from the documented
 * examples), an unknown field, hostile shapes, bad query values, odd methods and over-long URLs.
 * `pathId` fills `{id}` with a real id where the spec has one (so requests get past the 404), else a random UUID.
 */
export function fuzzCases(doc: OpenApiDocument, pathId: (path: string) => string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    const path = template.replace(/\{[^}]+\}/g, () => pathId(template));
    for (const [verb, operation] of Object.entries(operations)) {
      const method = verb.toUpperCase();
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      if (schema) cases.push(...bodyCases(doc, method, path, resolve(doc, schema)));
      // Without a body schema, only bodies the parser refuses: anything else would run the operation (DELETE /users/me).
      cases.push(...hostileBodies(method, path).filter((c) => schema || c.label !== 'array body'));
      cases.push(...queryCases(method, path, operation));
      if (template.includes('{')) cases.push({ label: 'random uuid', method, path: template.replace(/\{[^}]+\}/g, () => randomUUID()) });
    }
    cases.push(...ODD_METHODS.map((method) => ({ label: 'odd method', method, path })));
    cases.push({ label: 'over-long URL', method: 'GET', path: `${path}?q=${'a'.repeat(10_000)}` });
    if (template.includes('{'))
      cases.push({ label: 'over-long path param', method: 'GET', path: template.replace(/\{[^}]+\}/g, 'a'.repeat(600)) });
  }
  return cases;
}

function bodyCases(doc: OpenApiDocument, method: string, path: string, schema: Schema): FuzzCase[] {
  const base = validValue(doc, schema) as Record<string, unknown>;
  const cases: FuzzCase[] = [{ label: 'unknown field', method, path, body: JSON.stringify({ ...base, not_a_field: 1 }) }];
  for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
    for (const [label, value] of fieldVariants(resolve(doc, fieldSchema))) {
      cases.push({ label: `${field}: ${label}`, method, path, body: JSON.stringify({ ...base, [field]: value }) });
    }
    const items = fieldSchema.items && resolve(doc, fieldSchema.items);
    for (const [nested, nestedSchema] of Object.entries(items?.properties ?? {})) {
      for (const [label, value] of fieldVariants(resolve(doc, nestedSchema))) {
        const item = { ...(validValue(doc, items!) as object), [nested]: value };
        cases.push({ label: `${field}[0].${nested}: ${label}`, method, path, body: JSON.stringify({ ...base, [field]: [item] }) });
      }
    }
  }
  return cases;
}

function fieldVariants(schema: Schema): [string, unknown][] {
  const wrongType = schema.type === 'string' ? 12345 : schema.type === 'object' ? 'text' : schema.type === 'array' ? { a: 1 } : 'text';
  return [
    ['null', null],
    ['wrong type', wrongType],
    ['lone surrogate', LONE_SURROGATE],
    ['over-long string', OVERLONG],
    ['nested lone surrogate', { [LONE_SURROGATE]: [LONE_SURROGATE] }],
  ];
}

function hostileBodies(method: string, path: string): FuzzCase[] {
  const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])));
  const deep = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
  return [
    { label: '50,000 keys', method, path, body: wide },
    { label: '200 deep', method, path, body: deep },
    { label: 'array body', method, path, body: '[1,2,3]' },
    { label: 'broken JSON', method, path, body: '{"a":' },
  ];
}

function queryCases(method: string, path: string, operation: Operation): FuzzCase[] {
  const names = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  return names.flatMap((name) =>
    ['-1', 'abc', '1e309', 'x'.repeat(3000), '%ED%A0%80', '%00'].map((value, i) => ({
      label: `query ${name} #${i}`,
      method,
      path: `${path}?${name}=${value.startsWith('%') ? value : encodeURIComponent(value)}&${name}=${i}`,
    })),
  );
}

function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  return schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
}

/** A value the schema accepts, from its examples where it has them. */
function validValue(doc: OpenApiDocument, schema: Schema): unknown {
  const resolved = resolve(doc, schema);
  if (resolved.example !== undefined) return resolved.example;
  if (resolved.enum) return resolved.enum[0];
  if (resolved.properties) {
    const required = new Set(resolved.required ?? []);
    return Object.fromEntries(
      Object.entries(resolved.properties)
        .filter(([name, property]) => required.has(name) || resolve(doc, property).example !== undefined)
        .map(([name, property]) => [name, validValue(doc, property)]),
    );
  }
  if (resolved.type === 'array') return resolved.items ? [validValue(doc, resolved.items)] : [];
  if (resolved.format === 'uuid') return randomUUID();
  return { string: 'x', integer: 1, number: 1, boolean: false, object: {} }[resolved.type ?? 'object'];
}

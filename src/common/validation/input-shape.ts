import type { FastifyInstance } from 'fastify';
import { MAX_FIELD_ERRORS, validationFailed, type FieldError } from '../problem/problem.js';
import { jsonShapeProblem, type ShapeLimits } from './json-shape.js';

interface Pending {
  value: unknown;
  key: string | number;
  parent?: Pending;
}

const FIELD_NAME_MAX = 200;

/**
 * Hostile input is refused before class-transformer and class-validator (whose cost grows much faster than
 * the input) see it: a JSON body's shape is measured before it is parsed, and every string of the parsed
 * body and query must be well-formed UTF-16. Fastify's own JSON parser (with its prototype-poisoning checks)
 * still does the parsing.
 */
export function guardInput(fastify: FastifyInstance, limits: ShapeLimits): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const refused = jsonShapeProblem(body as string, limits);
    if (refused) done(validationFailed([refused]), undefined);
    else parseJson(request, body as string, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const errors = [...lonelySurrogates(request.query, '(query)'), ...lonelySurrogates(request.body, '(body)')];
    done(errors.length > 0 ? validationFailed(errors) : undefined);
  });
}

/**
 * A lone surrogate ("\ud800") is valid JSON but not text: validators (the email one throws URIError) and the
 * database driver would fail on it as a 500. Iterative, so any depth is safe; the body's size is bounded above.
 */
export function lonelySurrogates(root: unknown, rootName: string): FieldError[] {
  const errors: FieldError[] = [];
  const pending: Pending[] = [{ value: root, key: '' }];
  while (pending.length > 0 && errors.length < MAX_FIELD_ERRORS) {
    const item = pending.pop()!;
    const { value } = item;
    if (typeof value === 'string' && !value.isWellFormed()) {
      errors.push({ field: fieldName(item, rootName), message: 'must be valid Unicode text (it holds a lone surrogate)' });
    } else if (Array.isArray(value)) {
      value.forEach((child, key) => pending.push({ value: child, key, parent: item }));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const entry = { value: child, key, parent: item };
        if (!key.isWellFormed())
          errors.push({ field: fieldName(entry, rootName), message: 'is a field name that is not valid Unicode text' });
        pending.push(entry);
      }
    }
  }
  return errors.slice(0, MAX_FIELD_ERRORS);
}

/** `metadata.tags[2]`; built only for an error, by walking up the parents. */
function fieldName(item: Pending, rootName: string): string {
  let name = '';
  for (let at: Pending | undefined = item; at?.parent; at = at.parent) {
    name = typeof at.key === 'number' ? `[${at.key}]${name}` : at.parent.parent ? `.${at.key}${name}` : `${at.key}${name}`;
  }
  name = name || rootName;
  return name.length > FIELD_NAME_MAX ? `${name.slice(0, FIELD_NAME_MAX)}…` : name;
}

import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { validationFailed, type FieldError } from '../problem/problem.js';

/**
 * The one validation pipeline, used by the app and the test app alike: unknown fields are rejected rather
 * than dropped, values are transformed into the DTO classes, and every failure becomes a problem+json 400
 * listing each field.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationFailed(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      // An absent body means "no fields"; anything that is not a JSON object is a client error.
      if (value === undefined) value = {};
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw validationFailed([{ field: '(body)', message: 'the request body must be a JSON object' }]);
      }
      // Before anything recursive (class-transformer, JSON.stringify) walks it and runs out of stack.
      if (nestedDeeperThan(value, MAX_BODY_DEPTH)) {
        throw validationFailed([{ field: '(body)', message: `the request body must not nest deeper than ${MAX_BODY_DEPTH} levels` }]);
      }
    }
    return super.transform(value, metadata);
  }
}

const MAX_BODY_DEPTH = 32;

/** Iterative, so a hostile body cannot exhaust the stack while being measured. */
function nestedDeeperThan(value: object, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = !parent ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      message: constraint === 'whitelistValidation' ? 'is not an accepted field' : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

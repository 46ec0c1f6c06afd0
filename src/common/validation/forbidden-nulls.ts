import type { ValidationError } from '@nestjs/common';
import { declaredFields, nullableFields } from './dto-fields.js';

/**
 * `@IsOptional()` lets null through unvalidated, so `{"title": null}` would reach the service (and the
 * database) as if it were a value. Null is refused in every DTO, nested ones included, unless the field
 * declares that it accepts it (see nullableFields).
 */
export function forbiddenNulls(object: object, path = ''): ValidationError[] {
  const nullable = nullableFields(object.constructor);
  return Object.entries(object).flatMap(([key, value]: [string, unknown]) => {
    const field = path ? `${path}.${key}` : key;
    if (value === null)
      return nullable.has(key) ? [] : [{ property: field, constraints: { isNotNull: `${field} must not be null` }, children: [] }];
    if (Array.isArray(value)) return value.flatMap((item, index) => (isDto(item) ? forbiddenNulls(item, `${field}[${index}]`) : []));
    return isDto(value) ? forbiddenNulls(value, field) : [];
  });
}

/** An instance of a validated class (a nested DTO), as opposed to a free-form JSON value such as metadata. */
function isDto(value: unknown): value is object {
  return typeof value === 'object' && value !== null && value.constructor !== Object && declaredFields(value.constructor).size > 0;
}

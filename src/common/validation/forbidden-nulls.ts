import type { ValidationError } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';

/** What class-validator's metadata storage is keyed by: an object's constructor. */
type DtoClass = object['constructor'];

const nullableByClass = new Map<DtoClass, Set<string>>();

/**
 * `@IsOptional()` lets null through unvalidated, so `{"title": null}` would reach the service (and the
 * database) as if it were a value. Null is refused in every DTO, nested ones included, unless the field
 * declares it accepted the way this codebase does: `@ValidateIf((_, value) => value !== null)`.
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
  return typeof value === 'object' && value !== null && value.constructor !== Object && hasRules(value.constructor);
}

function hasRules(target: DtoClass): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(target, '', true, false).length > 0;
}

function nullableFields(target: DtoClass): Set<string> {
  let fields = nullableByClass.get(target);
  if (!fields) {
    const conditions = getMetadataStorage()
      .getTargetValidationMetadatas(target, '', true, false)
      .filter((meta) => meta.type === ValidationTypes.CONDITIONAL_VALIDATION && meta.name !== 'isOptional');
    fields = new Set(
      conditions
        .filter((meta) => (meta.constraints[0] as (o: object, v: unknown) => boolean)({}, null) === false)
        .map((meta) => meta.propertyName),
    );
    nullableByClass.set(target, fields);
  }
  return fields;
}

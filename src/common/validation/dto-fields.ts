import { getMetadataStorage, ValidationTypes } from 'class-validator';

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** What class-validator's metadata storage is keyed by: an object's constructor. */
export type DtoClass = object['constructor'];

const metadataByClass = new Map<DtoClass, ValidationMetadata[]>();
const nullableByClass = new Map<DtoClass, Set<string>>();

function rulesOf(target: DtoClass): ValidationMetadata[] {
  let rules = metadataByClass.get(target);
  if (!rules) {
    rules = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
    metadataByClass.set(target, rules);
  }
  return rules;
}

const declaredByClass = new Map<DtoClass, Set<string>>();

/** The fields a DTO declares (inherited ones included): exactly those the whitelist lets through. */
export function declaredFields(target: DtoClass): ReadonlySet<string> {
  let fields = declaredByClass.get(target);
  if (!fields) {
    fields = new Set(rulesOf(target).map((rule) => rule.propertyName));
    declaredByClass.set(target, fields);
  }
  return fields;
}

/** Fields that accept null, declared the way this codebase does: `@ValidateIf((_, value) => value !== null)`. */
export function nullableFields(target: DtoClass): Set<string> {
  let fields = nullableByClass.get(target);
  if (!fields) {
    const conditions = rulesOf(target).filter((rule) => rule.type === ValidationTypes.CONDITIONAL_VALIDATION && rule.name !== 'isOptional');
    const acceptsNull = (rule: ValidationMetadata) =>
      (rule.constraints[0] as (object: object, value: unknown) => boolean)({}, null) === false;
    fields = new Set(conditions.filter(acceptsNull).map((rule) => rule.propertyName));
    nullableByClass.set(target, fields);
  }
  return fields;
}

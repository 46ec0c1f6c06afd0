import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { validationFailed, type FieldError } from '../problem/problem.js';
import { declaredFields } from './dto-fields.js';
import { forbiddenNulls } from './forbidden-nulls.js';

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
      // Before class-transformer copies their values, however large, only for the whitelist to refuse them.
      const declared = declaredFields(metadata.metatype);
      const unknown = Object.keys(value).filter((key) => !declared.has(key));
      if (unknown.length > 0) throw validationFailed(unknown.map((field) => ({ field, message: 'is not an accepted field' })));
    }
    return super.transform(value, metadata);
  }

  /** class-validator's own errors plus the fields that are null without saying they accept it. */
  protected override async validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    return [...(await super.validate(object, options)), ...forbiddenNulls(object)];
  }
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

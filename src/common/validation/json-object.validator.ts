import { applyDecorators } from '@nestjs/common';
import { IsObject, ValidateBy, type ValidationOptions } from 'class-validator';

export const METADATA_MAX_BYTES = 16 * 1024;

/** A JSON object (not an array or scalar) whose serialized form is at most `maxBytes` bytes of UTF-8. */
export function IsJsonObject(maxBytes = METADATA_MAX_BYTES, options?: ValidationOptions) {
  return applyDecorators(
    IsObject({ message: ({ property }) => `${property} must be a JSON object`, ...options }),
    ValidateBy(
      {
        name: 'maxJsonBytes',
        validator: {
          validate: (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? {}), 'utf8') <= maxBytes,
          defaultMessage: ({ property } = { property: 'value' } as never) => `${property} must be at most ${maxBytes / 1024} KiB as JSON`,
        },
      },
      options,
    ),
  );
}

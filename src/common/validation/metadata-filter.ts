import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';

/** A metadata filter is one query parameter; this bounds its text, and with it what it costs to parse and to look up. */
export const METADATA_FILTER_MAX_LENGTH = 2048;

export type MetadataFilter = Record<string, unknown>;

/**
 * Why a `metadata` query parameter is refused, or null: it must be the text of a JSON object of at most
 * METADATA_FILTER_MAX_LENGTH characters, with no NUL and no lone surrogate in any string (PostgreSQL's jsonb
 * stores neither) and no number beyond a double (JSON.parse makes 1e400 Infinity, which serialises as null:
 * the filter would quietly mean something else).
 */
export function metadataFilterProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be given once, as the text of a JSON object';
  if (value.length > METADATA_FILTER_MAX_LENGTH) return `must be at most ${METADATA_FILTER_MAX_LENGTH} characters`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'must be valid JSON: a JSON object such as {"source":"web"}';
  }
  if (!isObject(parsed)) return 'must be a JSON object such as {"source":"web"} (not an array, string, number or null)';
  if (!storable(parsed)) return 'must not hold a NUL character, a lone surrogate or a number beyond ±1.8e308';
  return null;
}

/**
 * The filter to apply: the parsed object, or undefined when there is none. `{}` is contained in every
 * object, so it filters nothing and is treated as absent; every other filter needs a non-empty metadata,
 * which is what lets the GIN indexes leave empty metadata out.
 */
export function parseMetadataFilter(text: string | undefined): MetadataFilter | undefined {
  if (text === undefined) return undefined;
  const filter = JSON.parse(text) as MetadataFilter;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

/** The `metadata` query parameter of a list, validated (400 validation_failed naming `metadata`) and documented. */
export function MetadataFilterQuery(what: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: String,
      maxLength: METADATA_FILTER_MAX_LENGTH,
      example: '{"source":"web","tags":["billing"]}',
      description:
        `JSON containment filter (PostgreSQL \`@>\`): only ${what} whose metadata contains this object (nested objects, ` +
        'array items, numbers, booleans, strings, null). URL-encode it. At most 2048 characters; `{}` filters nothing.',
    }),
    IsOptional(),
    ValidateBy({
      name: 'metadataFilter',
      validator: {
        validate: (value: unknown) => metadataFilterProblem(value) === null,
        defaultMessage: (args) => `${args?.property ?? 'metadata'} ${metadataFilterProblem(args?.value)}`,
      },
    }),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every key and string is well-formed text without NUL, every number finite; iterative, though the length bound keeps nesting shallow anyway. */
function storable(root: unknown): boolean {
  const pending: unknown[] = [root];
  const ok = (text: string) => text.isWellFormed() && !text.includes('\u0000');
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string' && !ok(value)) return false;
    if (typeof value === 'number' && !Number.isFinite(value)) return false;
    if (Array.isArray(value)) pending.push(...(value as unknown[]));
    else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (!ok(key)) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

import { QueryFailedError, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';

/** Escapes LIKE wildcards so user input matches literally (PostgreSQL's default escape character is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** True for a PostgreSQL error with this SQLSTATE (e.g. 23505 unique_violation), optionally on this constraint. */
export function isPgError(error: unknown, sqlState: string, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === sqlState && (constraint === undefined || driverError.constraint === constraint);
}

export const UNIQUE_VIOLATION = '23505';

/** Selects `alias.column AS column` for each column: raw rows shaped like the hand-written statements' rows. */
export function selectColumns(
  qb: SelectQueryBuilder<ObjectLiteral>,
  alias: string,
  columns: readonly string[],
): SelectQueryBuilder<ObjectLiteral> {
  const [first, ...rest] = columns;
  qb.select(`${alias}.${first}`, first);
  for (const column of rest) qb.addSelect(`${alias}.${column}`, column);
  return qb;
}

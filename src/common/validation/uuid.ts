/** Any UUID in its 8-4-4-4-12 hex form, either case: what user ids are, checked where one arrives unvalidated. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { isUuid } from '../../common/validation/uuid.js';

/**
 * Whose rows the statements of the current call may see, carried to PostgreSQL (RowSecurityClient,
 * TransactionSettings) as the `chat.user_id` and `chat.system` settings the row-level security policies
 * read. A request runs as its caller (RowSecurityInterceptor); work that crosses users on purpose says so
 * with `asSystem`, naming why. Outside both (login, a forgotten context) a policy shows no row at all.
 */
export type RowSecurityScope = { kind: 'user'; userId: string } | { kind: 'system'; reason: string };

const storage = new AsyncLocalStorage<RowSecurityScope>();

export function asUser<T>(userId: string, work: () => T): T {
  if (!isUuid(userId)) throw new Error('asUser needs a user id (a UUID)');
  return storage.run({ kind: 'user', userId }, work);
}

/** Cross-user work (the erasure worker, admin reports): every policy lets it through. Keep it narrow. */
export function asSystem<T>(reason: string, work: () => T): T {
  return storage.run({ kind: 'system', reason }, work);
}

export function currentScope(): RowSecurityScope | undefined {
  return storage.getStore();
}

/** The values of `chat.user_id` and `chat.system` for the current scope ('' when unset). */
export function scopeSettings(scope = currentScope()): { userId: string; system: string } {
  if (scope?.kind === 'user') return { userId: scope.userId, system: '' };
  return { userId: '', system: scope?.kind === 'system' ? 'on' : '' };
}

/**
 * The same settings as one SQL statement with literal values (they are a UUID checked above, 'on' or ''),
 * so it can share a simple-protocol round trip with other SET LOCALs. `local`: for the transaction only.
 */
export function scopeSettingsSql(local: boolean, scope = currentScope()): string {
  const { userId, system } = scopeSettings(scope);
  return `SELECT set_config('chat.user_id', '${userId}', ${local}), set_config('chat.system', '${system}', ${local})`;
}

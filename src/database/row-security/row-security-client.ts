import pg from 'pg';
import { scopeSettings } from './row-security-context.js';

const SET_SCOPE_SQL = `SELECT set_config('chat.user_id', $1, false), set_config('chat.system', $2, false)`;
const STARTS_TRANSACTION = /^\s*(START\s+TRANSACTION|BEGIN)\b/i;

type QueryArgs = [config: unknown, values?: unknown, callback?: unknown];
type Callback = (error: Error) => void;
interface Submittable {
  submit: unknown;
  handleError(error: Error, connection: unknown): void;
}

const isSubmittable = (config: unknown): config is Submittable =>
  typeof config === 'object' && config !== null && typeof (config as Submittable).submit === 'function';

/**
 * With DATABASE_RLS=on, the pooled connections carry the current row-security scope (row-security-context)
 * into PostgreSQL before a statement runs outside a transaction: as session settings, sent only when the
 * scope differs from what this connection last had, so a connection checked out by the same user again
 * costs nothing, and one handed from user to user costs one round trip before its first statement.
 * A transaction gets the scope with SET LOCAL in the round trip after BEGIN (TransactionSettings), which
 * ends with it; session settings are never changed inside one, where a rollback would undo them behind
 * this class's back. The statement waits for its setting: if setting it fails, the statement never runs
 * under the previous scope.
 */
export function rowSecurityClient(Base: typeof pg.Client): typeof pg.Client {
  return class RowSecurityClient extends Base {
    private sessionScope: string | null = null;

    // Overrides every overload of pg's query() at once (promise, callback and Submittable forms).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: unknown[]): any {
      const [config, values, callback] = args as QueryArgs;
      const settings = scopeSettings();
      const key = `${settings.userId}/${settings.system}`;
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      if (key === this.sessionScope || this.getTransactionStatus() !== 'I' || (typeof text === 'string' && STARTS_TRANSACTION.test(text))) {
        return this.pass(args);
      }
      const applied = (this.pass([SET_SCOPE_SQL, [settings.userId, settings.system]]) as Promise<unknown>).then(() => {
        this.sessionScope = key;
      });
      if (isSubmittable(config)) {
        applied.then(
          () => this.pass(args),
          (error: Error) => config.handleError(error, undefined),
        );
        return config;
      }
      const done = [values, callback].find((arg): arg is Callback => typeof arg === 'function');
      if (done) {
        applied.then(() => this.pass(args), done);
        return undefined;
      }
      return applied.then(() => this.pass(args));
    }

    private pass(args: unknown[]): unknown {
      return Reflect.apply(Base.prototype.query, this, args);
    }
  };
}

import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Reading {
  commits: number;
  sessions: number;
}

/**
 * Reads pg_stat_database.xact_commit of the bench database. Every autocommit statement is one transaction,
 * so a delta over N requests counts the statements they ran. The reader connects to the server's
 * `postgres` database when it can, so its own queries never land in the counter it reads.
 */
export class CommitCounter {
  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
    readonly ownQueriesCounted: boolean,
  ) {}

  static async connect(databaseUrl: string): Promise<CommitCounter> {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const other = new URL(databaseUrl);
    other.pathname = '/postgres';
    if (database !== 'postgres') {
      const client = new pg.Client({ connectionString: other.toString(), application_name: 'bench-stats' });
      try {
        await client.connect();
        return new CommitCounter(client, database, false);
      } catch {
        await client.end().catch(() => undefined);
      }
    }
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-stats' });
    await client.connect();
    return new CommitCounter(client, database, true);
  }

  /**
   * Commits so far, and sessions (connections) opened so far: each new backend commits one start-up
   * transaction of its own, so callers subtract new sessions to count only the statements requests ran.
   * (`sessions` exists from PostgreSQL 14; older servers report 0.)
   */
  async read(): Promise<Reading> {
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ commits: string; sessions: string | null }>(
      `SELECT to_jsonb(d) ->> 'xact_commit' AS commits, to_jsonb(d) ->> 'sessions' AS sessions FROM pg_stat_database d WHERE datname = $1`,
      [this.database],
    );
    return { commits: Number(rows[0].commits), sessions: Number(rows[0].sessions ?? 0) };
  }

  /**
   * Backends flush their counters at most once a second while busy and about 10 s after going idle (or on
   * exit), so wait `settleS` and then until two reads a second apart agree. Without access to the
   * `postgres` database the reader's own statements move the counter too: then one read after the wait
   * (the result is approximate, by a few transactions).
   */
  async settledRead(settleS: number): Promise<Reading> {
    await sleep(settleS * 1000);
    let previous = await this.read();
    if (this.ownQueriesCounted) return previous;
    for (let i = 0; i < 15; i++) {
      await sleep(1000);
      const current = await this.read();
      if (current.commits === previous.commits && current.sessions === previous.sessions) return current;
      previous = current;
    }
    return previous;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

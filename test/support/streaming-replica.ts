import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { postgresOsUser, run, type OsIds } from '../../src/database/postgres-runtime.js';

/** Debian's PostgreSQL (package postgresql-15): the one with pg_basebackup on these machines and on CI. */
export const DEBIAN_PG_BIN = '/usr/lib/postgresql/15/bin';

/** This suite's share of the machine's ports (each engineer's specs keep to their own range). */
const PORT_RANGE = { from: 6450, to: 6459 };

export interface StreamingReplica {
  primaryUrl: string;
  replicaUrl: string;
  /** Blocks until the replica has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stopReplica(): Promise<void>;
  /** Stops both servers and deletes their directories. */
  destroy(): Promise<void>;
}

/**
 * A primary and a hot standby streaming from it, made by PostgreSQL's own tools (initdb, pg_basebackup -R),
 * with trust auth on 127.0.0.1 only. As root both run as the `postgres` OS user in a 0700 directory it
 * owns under /var/tmp (root's private mktemp -d checkout is not enterable by that user).
 */
export async function startStreamingReplica(): Promise<StreamingReplica> {
  for (const tool of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) {
    if (!existsSync(path.join(DEBIAN_PG_BIN, tool))) {
      throw new Error(
        `${path.join(DEBIAN_PG_BIN, tool)} is missing: the read-replica test needs Debian's PostgreSQL 15 server binaries (apt-get install postgresql-15).`,
      );
    }
  }
  const ids = userInfo().uid === 0 ? await postgresOsUser({ createUser: true }) : {};
  if (!ids) throw new Error('running as root, but the postgres OS user is missing and could not be created');
  const base = await mkdtemp(path.join(userInfo().uid === 0 ? '/var/tmp' : tmpdir(), 'chat-history-replica-'));
  if (ids.uid !== undefined && ids.gid !== undefined) await chown(base, ids.uid, ids.gid);
  const [primaryPort, replicaPort] = await freePorts(2);
  const primary = new Cluster(path.join(base, 'primary'), primaryPort, ids);
  const replica = new Cluster(path.join(base, 'replica'), replicaPort, ids);
  const sql = (cluster: Cluster, text: string) => query(cluster.url('postgres'), text);
  try {
    await tool(ids, 'initdb', ['-D', primary.dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions']);
    await appendFile(
      path.join(primary.dir, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        'wal_level = replica',
        'max_wal_senders = 4',
        'fsync = off',
        '',
      ].join('\n'),
    );
    await appendFile(path.join(primary.dir, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
    await primary.start();
    await sql(primary, 'CREATE DATABASE chat');
    await tool(ids, 'pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      replica.dir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    await replica.start();
  } catch (error) {
    await Promise.all([replica.stop(), primary.stop()]);
    await rm(base, { recursive: true, force: true });
    throw error;
  }

  return {
    primaryUrl: primary.url('chat'),
    replicaUrl: replica.url('chat'),
    async caughtUp() {
      const [{ lsn }] = await sql(primary, 'SELECT pg_current_wal_lsn()::text AS lsn');
      for (let waited = 0; ; waited += 50) {
        const [{ done }] = await sql(replica, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`);
        if (done) return;
        if (waited > 20_000) throw new Error(`the replica has not replayed up to ${lsn} within 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async pauseReplay() {
      await sql(replica, 'SELECT pg_wal_replay_pause()');
      for (let waited = 0; ; waited += 50) {
        const [{ state }] = await sql(replica, 'SELECT pg_get_wal_replay_pause_state() AS state');
        if (state === 'paused') return;
        if (waited > 20_000) throw new Error(`replay did not pause within 20 s (state ${String(state)})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async resumeReplay() {
      await sql(replica, 'SELECT pg_wal_replay_resume()');
    },
    stopReplica: () => replica.stop(),
    async destroy() {
      await Promise.all([replica.stop(), primary.stop()]);
      await rm(base, { recursive: true, force: true });
    },
  };
}

class Cluster {
  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly ids: OsIds,
  ) {}

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const log = `${this.dir}.log`;
    const started = await run(
      path.join(DEBIAN_PG_BIN, 'pg_ctl'),
      ['start', '-D', this.dir, '-w', '-t', '30', '-l', log, '-o', `-p ${this.port}`],
      this.ids,
    );
    if (started.code !== 0) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      throw new Error(`pg_ctl start of ${this.dir} failed (exit ${started.code}): ${started.output.trim()}\n${tail}`);
    }
  }

  /** Immediate: nothing to keep, and a stopped replica should look like one that crashed. */
  async stop(): Promise<void> {
    if (!existsSync(path.join(this.dir, 'postmaster.pid'))) return;
    await run(path.join(DEBIAN_PG_BIN, 'pg_ctl'), ['stop', '-D', this.dir, '-m', 'immediate', '-w', '-t', '30'], this.ids);
  }
}

async function tool(ids: OsIds, name: string, args: string[]): Promise<void> {
  const result = await run(path.join(DEBIAN_PG_BIN, name), args, ids);
  if (result.code !== 0) throw new Error(`${name} failed (exit ${result.code}): ${result.output.trim()}`);
}

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function freePorts(count: number): Promise<number[]> {
  const free: number[] = [];
  for (let port = PORT_RANGE.from; port <= PORT_RANGE.to && free.length < count; port++) {
    if (await isFree(port)) free.push(port);
  }
  if (free.length < count) throw new Error(`fewer than ${count} free ports in ${PORT_RANGE.from}-${PORT_RANGE.to}`);
  return free;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

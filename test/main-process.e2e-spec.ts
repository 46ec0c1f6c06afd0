import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { API } from './support/factories.js';
import { FakeLlmServer } from './support/fake-llm.js';
import { testDatabaseUrl, TEST_JWT_SECRET } from './support/test-env.js';

/** The real entry point (src/main.ts) in its own process, as `npm start` runs it. */
class ServiceProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', './scripts/register-ts.mjs', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Up to a minute: a cold start (ts hooks, initdb) on a busy 2-core machine takes far longer than the usual 2 s. */
  async ready(port: number): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`service did not become ready:\n${this.output}`);
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }
}

/** PostgreSQL removes postmaster.pid just before its process ends: give it a moment (a zombie counts as gone). */
async function exitsSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (state === null || state.split(') ')[1]?.startsWith('Z')) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The server may already be gone (ESRCH): nothing to stop then. */
function stopQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    // already stopped
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function register(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${API}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `proc-${Date.now()}-${Math.random()}@example.com`, password: 'correct horse battery' }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Each test starts a process (and one of them a cluster) on a machine that may be busy. */
const PROCESS_TEST_TIMEOUT_MS = 120_000;

describe('the service process', () => {
  it(
    'finishes requests in flight on SIGTERM, then exits 0',
    async () => {
      const fake = new FakeLlmServer();
      const llm = await fake.start();
      // A slow model: the turn is still running when the signal arrives.
      fake.script = {
        kind: 'stream',
        chunks: Array.from({ length: 120 }, (_, i) => `w${i} `),
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      };
      const port = await freePort();
      const service = new ServiceProcess({
        PORT: String(port),
        DATABASE_URL: testDatabaseUrl(),
        MIGRATIONS_RUN: 'false',
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: llm,
        LLM_MODEL: 'fake-model',
      });
      try {
        await service.ready(port);
        const token = await register(port);
        const turn = fetch(`http://127.0.0.1:${port}${API}/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'a slow answer please' }),
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        service.signal('SIGTERM');
        const res = await turn;
        expect(res.status).toBe(201);
        expect(((await res.json()) as { assistant_message: { content: string } }).assistant_message.content).toContain('w119');
        expect(await service.exited).toBe(0);
        expect(service.output).toContain('SIGTERM received: draining');
        await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
      } finally {
        service.signal('SIGKILL');
        await fake.stop();
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'runs on its own embedded PostgreSQL, refuses a second instance, and leaves no server behind',
    async () => {
      // A directory only its owner can enter, as mktemp -d makes it: as root, the cluster lives elsewhere.
      const dataDir = await mkdtemp(path.join(tmpdir(), 'chat-history-embedded-'));
      const [port, secondPort] = [await freePort(), await freePort()];
      const first = new ServiceProcess({ PORT: String(port), DATA_DIR: dataDir });
      let clusterDir = '';
      try {
        await first.ready(port);
        clusterDir = /Embedded PostgreSQL running with its data in ([^\s"]+)/.exec(first.output)?.[1] ?? '';
        const pidFile = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
        const [postgresPid, , , postgresPort] = pidFile.split('\n');
        expect(Number(postgresPort)).not.toBe(5432);
        await register(port);

        const second = new ServiceProcess({ PORT: String(secondPort), DATA_DIR: dataDir });
        expect(await second.exited).toBe(1);
        expect(second.output).toMatch(/Another process \(pid \d+\) is already running the embedded database/);

        first.signal('SIGINT');
        expect(await first.exited).toBe(0);
        expect(existsSync(path.join(clusterDir, 'postmaster.pid'))).toBe(false);
        expect(await exitsSoon(Number(postgresPid))).toBe(true);
      } finally {
        first.signal('SIGKILL');
        // pg_ctl runs the server in its own session: a failed run must not leave it behind (SIGINT: fast shutdown).
        const leftover = clusterDir && (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null));
        if (leftover) stopQuietly(Number(leftover.split('\n')[0]));
        await rm(dataDir, { recursive: true, force: true });
        if (clusterDir && !clusterDir.startsWith(dataDir)) await rm(path.dirname(clusterDir), { recursive: true, force: true });
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it('stops at start with a message naming a bad setting', async () => {
    const service = new ServiceProcess({ PORT: 'eighty', DATABASE_URL: testDatabaseUrl(), SESSION_LIMIT_POLICY: 'sometimes' });
    expect(await service.exited).toBe(1);
    expect(service.output).toContain('Invalid configuration');
    expect(service.output).toContain('PORT');
    expect(service.output).toContain('SESSION_LIMIT_POLICY');
  });

  it('stops at start when AUTH_MODE=oidc has no identity provider to trust', async () => {
    const service = new ServiceProcess({ DATABASE_URL: testDatabaseUrl(), AUTH_MODE: 'oidc' });
    expect(await service.exited).toBe(1);
    expect(service.output).toContain('AUTH_MODE=oidc needs OIDC_ISSUER');
  });

  it('refuses TRUST_PROXY=true, and promoting an account someone else registered, each with a message naming the fix', async () => {
    const proxy = new ServiceProcess({ DATABASE_URL: testDatabaseUrl(), TRUST_PROXY: 'true' });
    expect(await proxy.exited).toBe(1);
    expect(proxy.output).toMatch(/TRUST_PROXY must be false, the number of proxies .* `true` is refused/);

    const email = `squatter-${Date.now()}@example.com`;
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    await db.query(
      `WITH squatter AS (INSERT INTO users (email, password_hash) VALUES ($1, 'scrypt$the$squatter$own$password') RETURNING id, email)
       INSERT INTO user_emails (email, user_id) SELECT email, id FROM squatter`,
      [email],
    );
    try {
      const service = new ServiceProcess({
        PORT: String(await freePort()),
        DATABASE_URL: testDatabaseUrl(),
        MIGRATIONS_RUN: 'false',
        ADMIN_EMAIL: email,
        ADMIN_PASSWORD: 'operator password',
      });
      expect(await service.exited).toBe(1);
      expect(service.output).toContain(
        `Failed to start: ADMIN_EMAIL=${email} names an existing account whose password is not ADMIN_PASSWORD`,
      );
      expect(service.output).toContain('npm run admin:create -- --force');
      expect(service.output).not.toMatch(/\n\s+at /);
      expect((await db.query('SELECT role FROM users WHERE email = $1', [email])).rows).toEqual([{ role: 'user' }]);
    } finally {
      await db.end();
    }
    // Two processes that compile TypeScript at start: slow on a busy machine.
  }, 60_000);
});

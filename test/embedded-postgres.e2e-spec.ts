import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';

/**
 * The embedded server starts from a project directory only its owner can enter, as `mktemp -d` makes it
 * (as root, the server's `postgres` OS user cannot reach it, so its cluster must live elsewhere), and
 * leaves no password file behind.
 */
describe('embedded PostgreSQL in a private directory', () => {
  let privateDir: string;
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    privateDir = await mkdtemp(path.join(tmpdir(), 'chat-history-private-'));
    embedded = new EmbeddedPostgres(path.join(privateDir, 'project', '.data'), () => undefined);
  });

  afterAll(async () => {
    await embedded.stop();
    if (!embedded.clusterDir.startsWith(privateDir)) await rm(path.dirname(embedded.clusterDir), { recursive: true, force: true });
    await rm(privateDir, { recursive: true, force: true });
  });

  it('initialises, starts and answers queries without loosening the directory', async () => {
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const url = await embedded.start();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await expect(client.query('SELECT current_database() AS name')).resolves.toMatchObject({ rows: [{ name: 'chat_history' }] });
    await client.end();

    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    expect(embedded.clusterDir.startsWith(privateDir)).toBe(userInfo().uid !== 0);
    const besideCluster = await readdir(path.dirname(embedded.clusterDir));
    expect(besideCluster.filter((entry) => entry.includes('password'))).toEqual([]);
  }, 120_000);
});

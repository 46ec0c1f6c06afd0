/**
 * The crowd scenarios of `npm run bench` (issue: hold up under a crowd): a burst of many users at once,
 * one user's flood against another user's latency, and a wave of logins against the health check.
 * Real HTTP over 127.0.0.1 with fetch; users are registered through the API (real password hashes).
 */
import { randomUUID } from 'node:crypto';
import { percentile, round, runLoad } from './load.js';

export interface CrowdUser {
  token: string;
  sessionId: string;
  email: string;
  password: string;
}

interface Timed {
  kind: string;
  status: number;
  ms: number;
}

const API = '/api/v1';

async function timed(kind: string, run: () => Promise<Response>): Promise<Timed> {
  const started = performance.now();
  try {
    const res = await run();
    await res.arrayBuffer();
    return { kind, status: res.status, ms: performance.now() - started };
  } catch {
    return { kind, status: 0, ms: performance.now() - started };
  }
}

const post = (url: string, path: string, token: string | null, body: unknown, accept?: string) =>
  fetch(`${url}${API}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(accept ? { accept } : {}),
    },
    body: JSON.stringify(body),
  });

/** Registers `count` users (a few at a time: each costs a password hash) and gives each one session. */
export async function crowdUsers(url: string, count: number): Promise<CrowdUser[]> {
  const users: CrowdUser[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, async () => {
      const email = `bench-crowd-${randomUUID()}@bench.invalid`;
      const password = 'bench crowd password';
      const registered = await post(url, '/auth/register', null, { email, password });
      if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
      const { access_token: token } = (await registered.json()) as { access_token: string };
      const created = await post(url, '/sessions', token, { title: 'crowd' });
      if (created.status !== 201) throw new Error(`create session answered ${created.status}`);
      return { token, sessionId: ((await created.json()) as { id: string }).id, email, password };
    });
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

function stats(samples: Timed[]) {
  const failures = samples.filter((s) => s.status < 200 || s.status >= 300);
  const statusCounts: Record<string, number> = {};
  for (const s of samples) statusCounts[s.status] = (statusCounts[s.status] ?? 0) + 1;
  const ms = samples.map((s) => s.ms);
  return {
    requests: samples.length,
    failures: failures.length,
    status_counts: statusCounts,
    p50_ms: round(percentile(ms, 0.5), 1),
    p99_ms: round(percentile(ms, 0.99), 1),
    max_ms: round(Math.max(...ms), 1),
  };
}

/** Every user at the same moment: a chat turn in a new session, one in their session, one streamed, an append and a create. */
export async function burst(url: string, users: CrowdUser[], rounds: number) {
  const samples: Timed[] = [];
  for (let r = 0; r < rounds; r++) {
    const all = users.flatMap((u, i) => [
      timed('chat_new', () => post(url, '/chat', u.token, { message: `burst ${r}.${i}: why did the import fail?` })),
      timed('chat_existing', () => post(url, '/chat', u.token, { message: `follow-up ${r}.${i}`, session_id: u.sessionId })),
      timed('chat_stream', () => post(url, '/chat', u.token, { message: `stream ${r}.${i}`, stream: true }, 'text/event-stream')),
      timed('append', () => post(url, `/sessions/${u.sessionId}/messages`, u.token, { role: 'user', content: `append ${r}.${i}` })),
      timed('create', () => post(url, '/sessions', u.token, { title: `burst ${r}.${i}` })),
    ]);
    samples.push(...(await Promise.all(all)));
  }
  const kinds = [...new Set(samples.map((s) => s.kind))];
  return {
    users: users.length,
    rounds,
    ...stats(samples),
    by_kind: Object.fromEntries(kinds.map((k) => [k, stats(samples.filter((s) => s.kind === k))])),
  };
}

/** A victim's sequential reads, quiet and then while another user floods POST /sessions with many connections. */
export async function fairness(url: string, flooder: CrowdUser, victim: CrowdUser, { requests = 300, floodConnections = 64 } = {}) {
  const read = () =>
    timed('victim', () =>
      fetch(`${url}${API}/sessions/${victim.sessionId}/messages?page_size=20`, { headers: { authorization: `Bearer ${victim.token}` } }),
    );
  const sequential = async () => {
    const out: Timed[] = [];
    for (let i = 0; i < requests; i++) out.push(await read());
    return out;
  };
  await sequential();
  const quiet = stats(await sequential());
  let floodDone = false;
  const flood = runLoad(
    url,
    () => ({
      method: 'POST',
      path: `${API}/sessions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${flooder.token}` },
      body: JSON.stringify({ title: 'flood' }),
    }),
    { connections: floodConnections, durationS: 20 },
  ).finally(() => (floodDone = true));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const during = stats(await sequential());
  const floodCoveredVictim = !floodDone;
  const floodRun = await flood;
  return {
    victim_quiet: quiet,
    victim_during_flood: during,
    flood_covered_victim: floodCoveredVictim,
    flooder: { connections: floodConnections, requests: floodRun.completed, status_counts: floodRun.statusCounts },
    ratio_p99: round(during.p99_ms / quiet.p99_ms, 2),
  };
}

/** `count` logins at once while the liveness probe is polled; logins must all succeed and the probe stay fast. */
export async function logins(url: string, user: CrowdUser, count: number) {
  let polling = true;
  const probes: Timed[] = [];
  const poller = (async () => {
    while (polling) {
      probes.push(await timed('health', () => fetch(`${url}/health/live`)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const wave = await Promise.all(
    Array.from({ length: count }, () =>
      timed('login', () => post(url, '/auth/login', null, { email: user.email, password: user.password })),
    ),
  );
  polling = false;
  await poller;
  return { logins: stats(wave), health_live: stats(probes) };
}

/**
 * `npm run bench:rls`: the whole bench with DATABASE_RLS off and on, back to back, BENCH_RLS_PAIRS times
 * (default 2) in ABBA order (off, on, on, off, …) so drift on a shared machine falls on both. Each run is a
 * full `npm run bench` (fresh database and seed); its latest.json is kept as rls-<mode>-<n>.json. Prints,
 * per measure, the median of each mode and on/off (BENCH_RLS_PAIRS=0: only that, from the files kept).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR, ROOT } from './lib/paths.js';

type Mode = 'off' | 'on';
interface Stats {
  rps: number;
  p50_ms: number;
  p99_ms: number;
}
interface Result {
  scenarios: { name: string; service: Stats; ratio_rps: number | null }[];
  deep_page: { first_p50_ms: number; deep_p50_ms: number } | null;
  session_list_statements: { per_page_size: { page_size: number; per_request: number }[] } | null;
  crowd?: Record<string, { p50_ms?: number; p99_ms?: number; ratio_p99?: number; logins?: Stats }>;
}

const pairs = Number(process.env.BENCH_RLS_PAIRS ?? 2);
const order: Mode[] = Array.from({ length: pairs }, (_, i): Mode[] => (i % 2 === 0 ? ['off', 'on'] : ['on', 'off'])).flat();
const runs: Record<Mode, Result[]> = { off: [], on: [] };

// BENCH_RLS_PAIRS=0: only summarise the rls-*.json files an earlier run left.
if (pairs === 0) {
  for (const mode of ['off', 'on'] as const) {
    for (let n = 1; existsSync(path.join(RESULTS_DIR, `rls-${mode}-${n}.json`)); n++) {
      runs[mode].push(JSON.parse(readFileSync(path.join(RESULTS_DIR, `rls-${mode}-${n}.json`), 'utf8')) as Result);
    }
  }
}

for (const [i, mode] of order.entries()) {
  process.stderr.write(`\n### bench ${i + 1}/${order.length}: DATABASE_RLS=${mode}\n`);
  const run = spawnSync('npm', ['run', 'bench'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_RLS: mode },
  });
  if (run.status !== 0) process.stderr.write(`bench exited with ${run.status}; its results are kept\n`);
  const file = path.join(RESULTS_DIR, `rls-${mode}-${runs[mode].length + 1}.json`);
  copyFileSync(path.join(RESULTS_DIR, 'latest.json'), file);
  runs[mode].push(JSON.parse(readFileSync(file, 'utf8')) as Result);
}

/** Every number worth comparing, by a name: higher is better only for rps. */
function measures(result: Result): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of result.scenarios) {
    out.set(`${s.name} req/s`, s.service.rps);
    out.set(`${s.name} p99 ms`, s.service.p99_ms);
    // The baseline ran in the same rounds (ABBA): the ratio cancels most of the machine's drift.
    if (s.ratio_rps !== null) out.set(`${s.name} req/s ÷ baseline`, s.ratio_rps);
  }
  if (result.deep_page) {
    out.set('deep_page first p50 ms', result.deep_page.first_p50_ms);
    out.set('deep_page deep p50 ms', result.deep_page.deep_p50_ms);
  }
  for (const p of result.session_list_statements?.per_page_size ?? [])
    out.set(`statements/request page_size=${p.page_size}`, p.per_request);
  for (const [name, crowd] of Object.entries(result.crowd ?? {})) {
    if (crowd.p99_ms !== undefined) out.set(`${name} p99 ms`, crowd.p99_ms);
    if (crowd.ratio_p99 !== undefined) out.set(`${name} p99 ratio`, crowd.ratio_p99);
    if (crowd.logins) out.set(`${name} p99 ms`, crowd.logins.p99_ms);
  }
  return out;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const all = { off: runs.off.map(measures), on: runs.on.map(measures) };
const rows = [['measure', 'off (median)', 'on (median)', 'on/off', 'off runs', 'on runs']];
for (const name of all.off[0]?.keys() ?? []) {
  const values = (mode: Mode) => all[mode].map((m) => m.get(name)).filter((v): v is number => v !== undefined);
  const [off, on] = [median(values('off')), median(values('on'))];
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  rows.push([name, fmt(off), fmt(on), (on / off).toFixed(2), values('off').map(fmt).join(' '), values('on').map(fmt).join(' ')]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
const text = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
writeFileSync(path.join(RESULTS_DIR, 'rls-compare.txt'), `${text}\n`);
process.stdout.write(`\nDATABASE_RLS off vs on, ${pairs} pairs (ABBA):\n${text}\n`);

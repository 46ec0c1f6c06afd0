/**
 * Summarises a V8 .cpuprofile (from `BENCH_PROFILE=1 npm run bench`, written to bench/results/profiles/{service,baseline}/):
 * top functions by self time, and self time per package (node_modules/<pkg>, the service's own dist/src,
 * Node internals), so framework overhead can be told apart from the service's code and from PostgreSQL waits.
 *
 *   node --import ./scripts/register-ts.mjs bench/profile-summary.ts [file.cpuprofile] [--top 30]
 * Without a file: the newest service profile in bench/results/profiles/service/. The bench itself writes
 * summaries limited to the measured windows (bench/results/profiles/summary-*.txt).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULTS_DIR } from './lib/paths.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const META = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

export function packageOf(url: string): string {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const rest = url.slice(nodeModules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/src/');
  if (dist >= 0) return `service: ${url.slice(dist + '/dist/src/'.length).split('/')[0]}/`;
  return url.replace(/^file:\/\//, '');
}

export interface SummaryOptions {
  top?: number;
  /** Only samples inside these [start, end] windows (µs, monotonic clock: `process.hrtime` in the bench). */
  windows?: [number, number][];
  /** Requests served inside the windows, to report CPU time per request. */
  requests?: number;
}

export function summariseProfile(profile: CpuProfile, { top = 30, windows, requests }: SummaryOptions = {}): string {
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some(([from, to]) => at >= from && at <= to)) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** The first caller frame that belongs to a package or the service (skipping native code and node: internals). */
  const callerPackage = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      if (url && !url.startsWith('node:')) return packageOf(url);
    }
    return '(no JS caller)';
  };
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const meta = new Map<string, number>();
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  const callers = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (META.has(frame.functionName)) {
      meta.set(frame.functionName, (meta.get(frame.functionName) ?? 0) + us);
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
    const key = `${frame.functionName || '(anonymous)'}  ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const caller = callerPackage(id);
    callers.set(caller, (callers.get(caller) ?? 0) + us);
  }
  const busyUs = totalUs - (meta.get('(idle)') ?? 0);
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines: string[] = [];
  lines.push(
    `${windows ? `${windows.length} measured windows: ` : ''}${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy ` +
      `(${((100 * busyUs) / totalUs).toFixed(0)}% of the main thread); percentages below are of busy time`,
  );
  if (requests) {
    lines.push(`${requests} requests: ${(busyUs / 1000 / requests).toFixed(3)} ms of main-thread CPU per request`);
  }
  for (const [name, us] of [...meta].sort((a, b) => b[1] - a[1])) lines.push(`  ${name.padEnd(22)} ${ms(us)}`);
  lines.push('', 'self time by package:');
  for (const [name, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  lines.push('', 'self time charged to the calling package (native code and node: internals go to the package that called them):');
  for (const [name, us] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  return `${lines.join('\n')}\n`;
}

function shortUrl(url: string): string {
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) return url.slice(nodeModules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

export function newestProfile(dir = path.join(RESULTS_DIR, 'profiles')): string {
  const files = readdirSync(dir)
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (others: module-hook workers).
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}; run BENCH_PROFILE=1 npm run bench first`);
  return files[0];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 30;
  const file = args[0] ?? newestProfile(path.join(RESULTS_DIR, 'profiles', 'service'));
  process.stdout.write(`${file}\n${summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, { top })}`);
}

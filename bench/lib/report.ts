import type { LoadStats } from './load.js';

export interface ScenarioResult {
  name: string;
  service: LoadStats;
  baseline: LoadStats | null;
  ratio_rps: number | null;
  ratio_p99: number | null;
}

export interface DeepPageResult {
  depth: number;
  session_messages: number;
  page_size: number;
  requests_each: number;
  first_p50_ms: number;
  deep_p50_ms: number;
  ratio: number;
  errors: number;
}

export interface StatementsResult {
  endpoint: string;
  method: string;
  approximate: boolean;
  per_page_size: {
    page_size: number;
    requests: number;
    errors: number;
    xact_commits: number;
    new_connections: number;
    per_request: number;
    per_request_raw: number;
  }[];
  constant: boolean;
}

/** The targets of issue 6, reported (never asserted). */
export const TARGETS = { minRatioRps: 0.7, maxRatioP99: 2, maxDeepRatio: 1.5 };

const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

export function formatTable(scenarios: ScenarioResult[], deep: DeepPageResult | null, statements: StatementsResult | null): string {
  const rows: string[][] = [['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio rps', 'ratio p99']];
  const targets: string[] = [];
  for (const s of scenarios) {
    const line = (target: string, stats: LoadStats, ratios: boolean) => [
      target === 'service' ? s.name : '',
      target,
      stats.rps.toFixed(1),
      stats.p50_ms.toFixed(2),
      stats.p99_ms.toFixed(2),
      String(stats.errors),
      ratios && s.ratio_rps !== null ? s.ratio_rps.toFixed(2) : '',
      ratios && s.ratio_p99 !== null ? s.ratio_p99.toFixed(2) : '',
    ];
    rows.push(line('service', s.service, true));
    if (s.baseline) rows.push(line('baseline', s.baseline, false));
    if (s.ratio_rps !== null && s.ratio_p99 !== null) {
      targets.push(
        `${s.name}: throughput ${s.ratio_rps.toFixed(2)}x baseline (target >= ${TARGETS.minRatioRps}) ${verdict(s.ratio_rps >= TARGETS.minRatioRps)}; ` +
          `p99 ${s.ratio_p99.toFixed(2)}x baseline (target <= ${TARGETS.maxRatioP99}) ${verdict(s.ratio_p99 <= TARGETS.maxRatioP99)}`,
      );
    }
    const errors = s.service.errors + (s.baseline?.errors ?? 0);
    targets.push(`${s.name}: ${errors} errors ${verdict(errors === 0)}`);
  }
  let out = `\n${table(rows)}\n`;
  if (deep) {
    out +=
      `\ndeep page (page_size ${deep.page_size}, depth ${deep.depth} of ${deep.session_messages}, ${deep.requests_each} sequential GETs each): ` +
      `first p50 ${deep.first_p50_ms.toFixed(2)} ms, deep p50 ${deep.deep_p50_ms.toFixed(2)} ms, ratio ${deep.ratio.toFixed(2)}\n`;
    targets.push(
      `deep_page: ratio ${deep.ratio.toFixed(2)} (target <= ${TARGETS.maxDeepRatio}) ${verdict(deep.ratio <= TARGETS.maxDeepRatio)}`,
    );
    targets.push(`deep_page: ${deep.errors} errors ${verdict(deep.errors === 0)}`);
  }
  if (statements) {
    out += `\nsession_list SQL statements per request (${statements.endpoint}; ${statements.method}${statements.approximate ? '; approximate' : ''}):\n`;
    for (const p of statements.per_page_size) {
      out +=
        `  page_size=${String(p.page_size).padEnd(3)}  (${p.xact_commits} commits - ${p.new_connections} connection start-ups) / ${p.requests} requests` +
        ` = ${p.per_request.toFixed(2)} per request (raw ${p.per_request_raw.toFixed(2)}; ${p.errors} errors)\n`;
    }
    targets.push(`session_list: constant statements per request ${verdict(statements.constant)}`);
  }
  out += `\ntargets:\n${targets.map((t) => `  ${t}`).join('\n')}\n`;
  return out;
}

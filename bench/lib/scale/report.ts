import type pg from 'pg';
import type { ErasureResult } from './erase.js';
import type { ExportResult } from './export.js';
import type { RouteResult } from './measure.js';

export interface TableSize {
  table: string;
  rows: number;
  heap_bytes: number;
  toast_bytes: number;
  index_bytes: number;
  total_bytes: number;
  bytes_per_row: number;
  /** Heap + TOAST per row, without indexes. */
  table_bytes_per_row: number;
}

export interface StepResult {
  step: number;
  heavy_messages: number;
  heavy_sessions: number;
  s_messages: number;
  database_messages: number;
  load_s: number;
  derive_s: Record<string, number>;
  routes: RouteResult[];
  /** H's export (plain, gzip) at this step; absent in reports from before the export existed. */
  exports?: ExportResult[];
  sizes: TableSize[];
  avg_content_bytes: number;
}

export interface ScaleReport {
  generated_at: string;
  git_sha: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  steps: StepResult[];
  erasure: ErasureResult[];
  total_s: number;
}

const TABLES = ['chat_messages', 'chat_sessions', 'usage_daily', 'usage_daily_totals', 'usage_periods', 'users', 'user_emails'];

/** pg_total_relation_size per table (heap, TOAST, indexes) divided by its exact row count. */
export async function tableSizes(db: pg.Client): Promise<{ sizes: TableSize[]; avgContentBytes: number }> {
  const sizes: TableSize[] = [];
  for (const table of TABLES) {
    const { rows } = await db.query<Omit<TableSize, 'table' | 'bytes_per_row' | 'table_bytes_per_row'>>(
      `SELECT (SELECT count(*) FROM ${table})::bigint AS rows,
              pg_relation_size('${table}')::bigint AS heap_bytes,
              (pg_table_size('${table}') - pg_relation_size('${table}'))::bigint AS toast_bytes,
              pg_indexes_size('${table}')::bigint AS index_bytes,
              pg_total_relation_size('${table}')::bigint AS total_bytes`,
    );
    const r = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)])) as Omit<
      TableSize,
      'table' | 'bytes_per_row' | 'table_bytes_per_row'
    >;
    const per = (bytes: number) => (r.rows > 0 ? Math.round(bytes / r.rows) : 0);
    sizes.push({ table, ...r, bytes_per_row: per(r.total_bytes), table_bytes_per_row: per(r.heap_bytes + r.toast_bytes) });
  }
  const { rows } = await db.query<{ avg: number }>('SELECT coalesce(avg(octet_length(content)), 0)::float8 AS avg FROM chat_messages');
  return { sizes, avgContentBytes: Math.round(rows[0].avg) };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const stepName = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

function cell(route: RouteResult | undefined, requests: number): string {
  if (!route) return '';
  if (route.n === 0) return `n/a`;
  const statuses = Object.entries(route.statuses);
  const status = statuses.length === 1 ? statuses[0][0] : statuses.map(([s, n]) => `${s}×${n}`).join(' ');
  return `${route.p50_ms} / ${route.p99_ms} (${status}${route.n < requests ? `, n=${route.n}` : ''})`;
}

export function formatScaleReport(report: ScaleReport): string {
  const steps = report.steps;
  const lines: string[] = [];
  lines.push(`# Scale bench, ${report.generated_at.slice(0, 10)} (git ${report.git_sha})`, '');
  lines.push(
    `Heavy user H grown to ${steps.map((s) => stepName(s.step)).join(' / ')} messages among ${report.settings.users} users; ` +
      `${report.settings.other_messages} background messages of the other users; 90 days of usage. ` +
      `Cells: p50 / p99 in ms over ${report.settings.requests} sequential requests (one connection, after ${report.settings.warmup} warm-up), then the HTTP status(es).`,
    '',
  );
  lines.push(`| route | ${steps.map((s) => stepName(s.step)).join(' | ')} |`, `|---|${steps.map(() => '---').join('|')}|`);
  const routes = steps[0]?.routes.map((r) => r.route) ?? [];
  for (const route of routes) {
    lines.push(
      `| \`${route}\` | ${steps
        .map((s) =>
          cell(
            s.routes.find((r) => r.route === route),
            Number(report.settings.requests),
          ),
        )
        .join(' | ')} |`,
    );
  }
  lines.push('', '| data | ' + steps.map((s) => stepName(s.step)).join(' | ') + ' |', `|---|${steps.map(() => '---').join('|')}|`);
  const row = (label: string, f: (s: StepResult) => string) => lines.push(`| ${label} | ${steps.map(f).join(' | ')} |`);
  row("H's messages", (s) => String(s.heavy_messages));
  row("H's sessions", (s) => String(s.heavy_sessions));
  row("S's messages", (s) => String(s.s_messages));
  row('messages in the database', (s) => String(s.database_messages));
  row('load (base rows + derived data + VACUUM ANALYZE)', (s) => `${s.load_s} s`);
  row('`search` / deep-page notes', (s) =>
    s.routes
      .filter((r) => r.note)
      .map((r) => r.note)
      .join('; '),
  );
  row('bytes of the last response of `group_by=session`', (s) =>
    String(s.routes.find((r) => r.route.includes('group_by=session'))?.response_bytes ?? ''),
  );

  const last = steps.at(-1);
  if (last) {
    lines.push(
      '',
      `## Bytes per row with indexes (step ${stepName(last.step)}; message content averages ${last.avg_content_bytes} bytes)`,
      '',
    );
    lines.push(
      '| table | rows | heap | TOAST | indexes | total | bytes/row (total) | bytes/row (heap+TOAST) |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const t of last.sizes) {
      lines.push(
        `| ${t.table} | ${t.rows} | ${mb(t.heap_bytes)} | ${mb(t.toast_bytes)} | ${mb(t.index_bytes)} | ${mb(t.total_bytes)} | ${t.bytes_per_row} | ${t.table_bytes_per_row} |`,
      );
    }
    const messages = last.sizes.find((t) => t.table === 'chat_messages');
    const all = last.sizes.reduce((sum, t) => sum + t.total_bytes, 0);
    if (messages && messages.rows > 0) {
      lines.push('', `All these tables together: ${mb(all)}, ${Math.round(all / messages.rows)} bytes per message.`);
    }
  }
  formatExports(steps, lines);
  if (report.erasure.length > 0) {
    lines.push(
      '',
      '## Erasure',
      '',
      "| request | rows before | status | response | rows gone after | rows left | other users' reads p50 / p99, quiet | during | p99 ratio |",
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const e of report.erasure) {
      const reads = (r: ErasureResult['reads_quiet']) => (r ? `${r.p50_ms} / ${r.p99_ms} ms (n=${r.n}, errors ${r.errors})` : '');
      lines.push(
        `| ${e.request} | ${e.rows_before} | ${e.status} | ${e.response_ms} ms | ${e.erased_ms === null ? 'never (gave up)' : `${e.erased_ms} ms`} | ${e.rows_left} | ${reads(e.reads_quiet)} | ${reads(e.reads_during)} | ${e.p99_ratio ?? ''} |`,
      );
    }
  }
  lines.push('', `Whole run: ${report.total_s} s (${(report.total_s / 60).toFixed(1)} min).`, '');
  lines.push(
    'Machine and settings:',
    '',
    '```json',
    JSON.stringify({ machine: report.machine, settings: report.settings }, null, 2),
    '```',
    '',
  );
  return lines.join('\n');
}

function formatExports(steps: StepResult[], lines: string[]): void {
  const runs = steps.flatMap((s) => (s.exports ?? []).map((e) => ({ step: s.step, ...e })));
  if (runs.length === 0) return;
  lines.push(
    '',
    "## Export (`GET /users/me/export` of H, read to the end by one client; the service's RSS sampled every 20 ms)",
    '',
    '| step | encoding | status | message lines | lines | NDJSON | on the wire | first byte | time | messages/s | RSS before | RSS peak | peak − before | RSS after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const e of runs) {
    lines.push(
      `| ${stepName(e.step)} | ${e.encoding} | ${e.status} | ${e.message_lines} | ${e.lines} | ${mb(e.ndjson_bytes)} | ${mb(e.wire_bytes)} | ` +
        `${e.ttfb_ms} ms | ${e.seconds} s | ${e.messages_per_s} | ${e.rss_before_mib} MiB | ${e.rss_peak_mib} MiB | ` +
        `${(e.rss_peak_mib - e.rss_before_mib).toFixed(1)} MiB | ${e.rss_after_mib} MiB |`,
    );
  }
}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { round } from '../load.js';

/** One export of H (`GET /users/me/export`) read to the end, with the service's memory sampled meanwhile. */
export interface ExportResult {
  encoding: 'identity' | 'gzip';
  status: number;
  /** Lines of each type received (after decompression), counted by the client. */
  lines: number;
  message_lines: number;
  /** Bytes on the wire, and after decompression. */
  wire_bytes: number;
  ndjson_bytes: number;
  ttfb_ms: number;
  seconds: number;
  messages_per_s: number;
  /** The service process's resident memory (VmRSS): just before, the highest sample during, just after. */
  rss_before_mib: number;
  rss_peak_mib: number;
  rss_after_mib: number;
  rss_samples: number;
}

const SAMPLE_MS = 20;
const MESSAGE_LINE = Buffer.from('\n{"type":"message"');

function rssMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Counts newlines and message lines in a stream of chunks (a line's start may fall across two chunks). */
function lineCounter() {
  const counts = { lines: 0, messageLines: 0, bytes: 0 };
  let tail = Buffer.alloc(0);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      counts.bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) counts.lines++;
      const window = Buffer.concat([tail, chunk]);
      for (let i = window.indexOf(MESSAGE_LINE); i !== -1; i = window.indexOf(MESSAGE_LINE, i + 1)) counts.messageLines++;
      tail = window.subarray(Math.max(0, window.length - MESSAGE_LINE.length + 1));
      done();
    },
  });
  return { counts, sink };
}

/**
 * Reads the whole export as fast as this client can (gunzipping it here when gzipped), sampling the
 * service's RSS every 20 ms from /proc. Messages per second count H's messages over the whole response.
 */
export async function measureExport(
  baseUrl: string,
  token: string,
  servicePid: number,
  encoding: ExportResult['encoding'],
): Promise<ExportResult> {
  const rssBefore = rssMib(servicePid);
  let peak = rssBefore;
  let samples = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMib(servicePid));
    samples++;
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const headers = { authorization: `Bearer ${token}`, 'accept-encoding': encoding };
      http.get(`${baseUrl}/api/v1/users/me/export`, { headers }, resolve).on('error', reject);
    });
    let ttfb = NaN;
    let wire = 0;
    response.on('data', (chunk: Buffer) => {
      if (wire === 0) ttfb = performance.now() - started;
      wire += chunk.length;
    });
    const { counts, sink } = lineCounter();
    await (encoding === 'gzip' ? pipeline(response, createGunzip(), sink) : pipeline(response, sink));
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, rssMib(servicePid));
    return {
      encoding,
      status: response.statusCode ?? 0,
      lines: counts.lines,
      message_lines: counts.messageLines,
      wire_bytes: wire,
      ndjson_bytes: counts.bytes,
      ttfb_ms: round(ttfb, 1),
      seconds: round(seconds, 2),
      messages_per_s: Math.round(counts.messageLines / seconds),
      rss_before_mib: round(rssBefore, 1),
      rss_peak_mib: round(peak, 1),
      rss_after_mib: round(rssMib(servicePid), 1),
      rss_samples: samples,
    };
  } finally {
    clearInterval(sampler);
  }
}

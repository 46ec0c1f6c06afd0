import http from 'node:http';
import { API } from './factories.js';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as sent (not decompressed). */
  body: Buffer;
}

/** GET on a listening app with node:http, which decompresses nothing and lets a test see every byte. */
export function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${API}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An export's lines, parsed; fails on a blank line or a body that does not end in a newline. */
export function ndjsonLines(body: Buffer): Record<string, unknown>[] {
  const text = body.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines.filter((line) => line.trim() === '')).toEqual([]);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * An export read as a stream the test controls: `waitFor(bytes)` resolves once that many bytes arrived,
 * `pause()` stops reading (the kernel buffers fill, then the server feels backpressure), `resume()` reads to
 * the end, `abort()` closes the connection. `ended` settles with the body, or rejects when the server cut it.
 */
export function streamExport(baseUrl: string, path: string, headers: Record<string, string>) {
  let received = 0;
  const chunks: Buffer[] = [];
  const waiters: { bytes: number; resolve: () => void }[] = [];
  let response: http.IncomingMessage | undefined;
  let req: http.ClientRequest;
  const ended = new Promise<Buffer>((resolve, reject) => {
    req = http.get(`${baseUrl}${API}${path}`, { headers }, (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        chunks.push(chunk);
        for (const waiter of waiters.filter((w) => received >= w.bytes)) waiter.resolve();
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('aborted', () => reject(new Error('the server cut the response')));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  ended.catch(() => undefined);
  return {
    ended,
    get received() {
      return received;
    },
    waitFor: (bytes: number) => new Promise<void>((resolve) => (received >= bytes ? resolve() : waiters.push({ bytes, resolve }))),
    pause: () => response?.pause(),
    resume: () => response?.resume(),
    abort: () => req.destroy(),
  };
}

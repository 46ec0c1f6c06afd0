import type { Readable } from 'node:stream';
import { importTooLarge } from './import.errors.js';

/**
 * The body's chunks as they arrive, refused (413) past `limit` bytes: at once when Content-Length says
 * so, else as soon as the count passes it. Leaving early does not destroy the request stream (that would
 * take the socket, and the answer, with it); the answer closes the connection instead.
 */
export async function* bodyChunks(stream: Readable, declaredLength: number | null, limit: number): AsyncGenerator<Buffer> {
  if (declaredLength !== null && declaredLength > limit) throw importTooLarge(limit);
  let received = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) throw importTooLarge(limit);
    yield chunk;
  }
}

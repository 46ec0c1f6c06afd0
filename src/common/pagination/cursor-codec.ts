import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationFailed } from '../problem/problem.js';

export type CursorKey = readonly (string | number)[];

const SIGNATURE_BYTES = 16;

/**
 * Opaque keyset cursors: base64url(JSON key) + "." + truncated HMAC over the key and the query's scope
 * (sort, direction, filters). A cursor altered by hand, or replayed against a different query, is a 400.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('pagination-cursor-v1').digest();
  }

  encode(scope: string, key: CursorKey): string {
    const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
    return `${payload}.${this.sign(scope, payload).toString('base64url')}`;
  }

  /** Returns the key if the cursor is intact, was made for this scope and has the shape `isKey` expects. */
  decode<K extends CursorKey>(scope: string, cursor: string, isKey: (key: unknown) => key is K): K {
    const [payload, signature, extra] = cursor.split('.');
    if (payload && signature && extra === undefined) {
      const given = Buffer.from(signature, 'base64url');
      const expected = this.sign(scope, payload);
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        const key = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
        if (isKey(key)) return key;
      }
    }
    throw validationFailed(
      [{ field: 'cursor', message: 'is not a cursor returned by this query (it may belong to a different query or sort order)' }],
      'The cursor is not valid.',
    );
  }

  private sign(scope: string, payload: string): Buffer {
    return createHmac('sha256', this.key).update(scope).update('\n').update(payload).digest().subarray(0, SIGNATURE_BYTES);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

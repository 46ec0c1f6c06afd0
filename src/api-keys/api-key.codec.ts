import { createHash, randomBytes } from 'node:crypto';

/** Every key starts with this, so it is never taken for a JWT (which starts with `ey`) and scanners can spot it. */
export const API_KEY_PREFIX = 'chs_';
const API_KEY = /^chs_[\w-]{43}$/;
/** How much of the key lists show: the marker and 8 characters (48 bits), enough to tell keys apart. */
const SHOWN_LENGTH = API_KEY_PREFIX.length + 8;

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

/** 256 random bits, base64url. */
export function newApiKey(): NewApiKey {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, SHOWN_LENGTH), hash: hashApiKey(key) };
}

/** SHA-256: a guess at a 256-bit random key is hopeless at any hash speed, so no slow hash is needed. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * The API key a request presents: `Authorization: Bearer chs_…`, or `X-API-Key` when there is no
 * Authorization header (Authorization wins, so a request never carries two identities). A malformed
 * `X-API-Key` is still returned, so it is refused rather than ignored.
 */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
    return token?.startsWith(API_KEY_PREFIX) ? token : undefined;
  }
  const header = headers['x-api-key'];
  return header === undefined ? undefined : String(header);
}

export const isWellFormedApiKey = (key: string) => API_KEY.test(key);

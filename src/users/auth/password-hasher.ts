import { HttpStatus } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Gate, GateTimeoutError } from '../../common/concurrency/gate.js';
import { problem, type ProblemSpec } from '../../common/problem/problem.js';

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt setting "N=2^15, r=8, p=3" (32 MiB per hash, ~0.25 s here). Stored with each hash, so it can be raised later. */
const CURRENT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const MAX_MEMORY = 128 * 1024 * 1024;

export const HASHING_BUSY: ProblemSpec = {
  status: HttpStatus.SERVICE_UNAVAILABLE,
  code: 'service_unavailable',
  detail: 'Too many password checks are waiting right now; retry shortly (see Retry-After).',
};

/** How many hashes may run at once and how long a request may wait for its turn. */
export interface HashingLimits {
  concurrency: number;
  queueMs: number;
}

/**
 * Memory-hard password hashing with node:crypto scrypt (no native add-on to build). Format:
 * `scrypt$N$r$p$salt$hash`, salt and hash in base64url. Passwords are NFKC-normalised first so the same
 * password typed on different keyboards verifies alike.
 *
 * Each hash holds a libuv thread and 32 MiB for about a quarter second; at most `concurrency` run at once
 * (leaving threads for file and DNS work, and memory bounded), the rest queue up to `queueMs`, then 503.
 */
export class PasswordHasher {
  private dummyHash?: Promise<string>;
  private readonly gate: Gate;

  constructor(limits: HashingLimits = { concurrency: 3, queueMs: 60_000 }) {
    this.gate = new Gate(limits.concurrency, limits.queueMs);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    return encode(salt, await this.derive(password, salt, CURRENT));
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const [scheme, N, r, p, salt, hash] = encoded.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const actual = await this.derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * Spends the same time as a real verification, so an unknown email cannot be told apart by timing. The
   * dummy hash is made once, outside the slots (a burst must not leave it failed), and forgotten if it fails.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= dummyHash().catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await this.verify(password, await this.dummyHash);
    return false;
  }

  private async derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
    try {
      return await this.gate.run(() => derive(password, salt, params));
    } catch (error) {
      throw error instanceof GateTimeoutError ? problem(HASHING_BUSY, { headers: { 'Retry-After': '2' } }) : error;
    }
  }
}

async function dummyHash(): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(randomBytes(16).toString('hex'), salt, CURRENT);
  return encode(salt, key);
}

function encode(salt: Buffer, key: Buffer): string {
  return ['scrypt', CURRENT.N, CURRENT.r, CURRENT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

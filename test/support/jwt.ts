import { createHmac } from 'node:crypto';

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Builds a JWT by hand, so tests can forge exactly the defect they want to prove is refused. */
export function forgeJwt(payload: Record<string, unknown>, { secret, alg = 'HS256' }: { secret?: string; alg?: string } = {}): string {
  const unsigned = `${encode({ alg, typ: 'JWT' })}.${encode(payload)}`;
  if (alg === 'none' || !secret) return `${unsigned}.`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

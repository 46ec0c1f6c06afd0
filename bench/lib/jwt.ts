import { createHmac } from 'node:crypto';

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An access token exactly like the service issues: HS256 over {sub, role, iss, aud, iat, exp}, signed with
 * the JWT_SECRET the service was started with (so seeding users needs no scrypt round through /auth).
 */
export function mintAccessToken(secret: string, userId: string, ttlSeconds = 3600, role: 'user' | 'admin' = 'user'): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: userId,
    role,
    iss: 'chat-history-service',
    aud: 'chat-history-api',
    iat: now,
    exp: now + ttlSeconds,
  };
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

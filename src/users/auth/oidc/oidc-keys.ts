import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { Env } from '../../../config/env.js';

/** The provider's keys could not be had (discovery or JWKS unreachable, or malformed): 503, not the caller's fault. */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError';
}

type KeyConfig = Pick<Env, 'OIDC_ISSUER' | 'OIDC_JWKS_URI' | 'OIDC_HS256_SECRET' | 'OIDC_JWKS_COOLDOWN_MS' | 'OIDC_JWKS_MAX_AGE_MS'>;

const FETCH_TIMEOUT_MS = 5000;
// A token that names no key of the set is the caller's problem (401); any other failure is the provider's.
const CALLER_ERRORS = new Set([errors.JWKSNoMatchingKey.code, errors.JWKSMultipleMatchingKeys.code]);

/**
 * Where an external token's key comes from: the shared secret for HS256, the provider's JWKS for the
 * rest. jose's remote set caches the keys (OIDC_JWKS_MAX_AGE_MS) and fetches again for an unknown `kid`,
 * at most once per OIDC_JWKS_COOLDOWN_MS, so a flood of made-up kids costs the provider one request.
 * Algorithms are checked by jwtVerify before a key is asked for, so an HS256 token never reaches the JWKS.
 */
export class OidcKeys {
  private readonly secret: Uint8Array | undefined;
  private remote: Promise<JWTVerifyGetKey> | undefined;
  private discoveryFailedAt = -Infinity;

  constructor(private readonly config: KeyConfig) {
    this.secret = config.OIDC_HS256_SECRET === undefined ? undefined : new TextEncoder().encode(config.OIDC_HS256_SECRET);
  }

  /** Discovery only when neither a JWKS URI nor a shared secret is configured (Supabase's legacy tokens have no JWKS). */
  get hasKeySet(): boolean {
    return this.config.OIDC_JWKS_URI !== undefined || this.secret === undefined;
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && this.secret) return this.secret;
    const keySet = await this.keySet();
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JOSEError && CALLER_ERRORS.has(error.code)) throw error;
      throw new KeysUnavailableError(`The identity provider's keys could not be fetched: ${String(error)}`);
    }
  };

  private keySet(): Promise<JWTVerifyGetKey> {
    if (!this.remote) {
      this.remote = this.jwksUri().then((uri) =>
        createRemoteJWKSet(uri, {
          cooldownDuration: this.config.OIDC_JWKS_COOLDOWN_MS,
          cacheMaxAge: this.config.OIDC_JWKS_MAX_AGE_MS,
          timeoutDuration: FETCH_TIMEOUT_MS,
        }),
      );
      // A failed discovery is tried again (after the cooldown), not remembered for good.
      void this.remote.catch(() => (this.remote = undefined));
    }
    return this.remote;
  }

  private async jwksUri(): Promise<URL> {
    if (this.config.OIDC_JWKS_URI) return new URL(this.config.OIDC_JWKS_URI);
    // A provider that is down is asked again after the cooldown, not once per request.
    if (performance.now() - this.discoveryFailedAt < this.config.OIDC_JWKS_COOLDOWN_MS) {
      throw new KeysUnavailableError('OpenID discovery failed recently; it is tried again after OIDC_JWKS_COOLDOWN_MS.');
    }
    try {
      return await discoverJwksUri(this.config.OIDC_ISSUER!);
    } catch (error) {
      this.discoveryFailedAt = performance.now();
      throw new KeysUnavailableError(`OpenID discovery at ${this.config.OIDC_ISSUER} failed: ${String(error)}`);
    }
  }
}

/** OpenID Connect Discovery 1.0 §4: the document's `issuer` must be exactly the configured one. */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) throw new Error(`the discovery document names issuer ${String(document.issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
  return new URL(document.jwks_uri);
}

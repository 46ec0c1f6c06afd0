import type { AUTH_MODES } from '../../config/env.schema.js';

/** Passport strategy names, as each strategy registers itself. */
export const LOCAL_JWT_STRATEGY = 'jwt';
export const OIDC_STRATEGY = 'oidc';

/**
 * The one list of ways a request may authenticate, tried in this order by the global guard until one
 * accepts: local access tokens (JwtStrategy) and/or the identity provider's (OidcStrategy). Another kind
 * of credential is one more strategy name here.
 */
export function authStrategies(mode: (typeof AUTH_MODES)[number]): string[] {
  switch (mode) {
    case 'local':
      return [LOCAL_JWT_STRATEGY];
    case 'oidc':
      return [OIDC_STRATEGY];
    case 'both':
      return [LOCAL_JWT_STRATEGY, OIDC_STRATEGY];
  }
}

import type { AUTH_MODES } from '../../config/env.schema.js';

/** Passport strategy names, as each strategy registers itself. */
export const LOCAL_JWT_STRATEGY = 'jwt';
export const OIDC_STRATEGY = 'oidc';
export const API_KEY_STRATEGY = 'api-key';

/**
 * The one list of ways a request may authenticate, tried in this order by the global guard until one
 * accepts: local access tokens (JwtStrategy) and/or the identity provider's (OidcStrategy), then a service
 * account's API key in every mode (ApiKeyStrategy; its keys never look like a JWT). Another kind of
 * credential is one more strategy name here.
 */
export function authStrategies(mode: (typeof AUTH_MODES)[number]): string[] {
  return [...tokenStrategies(mode), API_KEY_STRATEGY];
}

function tokenStrategies(mode: (typeof AUTH_MODES)[number]): string[] {
  switch (mode) {
    case 'local':
      return [LOCAL_JWT_STRATEGY];
    case 'oidc':
      return [OIDC_STRATEGY];
    case 'both':
      return [LOCAL_JWT_STRATEGY, OIDC_STRATEGY];
  }
}

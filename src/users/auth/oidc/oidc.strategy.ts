import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { AuthUser } from '../../../common/auth/auth-user.js';
import { OIDC_STRATEGY } from '../../../common/auth/auth-strategies.js';
import { problem, ProblemException, unauthorized, type ProblemSpec } from '../../../common/problem/problem.js';
import type { EnvironmentVariables } from '../../../config/env.schema.js';
import { ExternalIdentities } from '../../external-identities.service.js';
import { BearerJoseStrategy, type VerifyToken } from './bearer-jose.strategy.js';
import { externalProfile, type ClaimRules } from './oidc-claims.js';
import { KeysUnavailableError, OidcKeys } from './oidc-keys.js';

/**
 * Verifies access tokens of the identity provider (AUTH_MODE=oidc|both) with jose: pinned algorithms
 * (OIDC_ALGORITHMS for the JWKS, HS256 only with OIDC_HS256_SECRET), issuer, audience, and `exp` and
 * `sub` required. The user is found by (iss, sub), or provisioned on first sight (ExternalIdentities).
 */
@Injectable()
export class OidcStrategy extends PassportStrategy(BearerJoseStrategy, OIDC_STRATEGY) {
  private readonly rules: ClaimRules;

  constructor(
    config: ConfigService<EnvironmentVariables, true>,
    private readonly identities: ExternalIdentities,
  ) {
    super({ verifyToken: oidcVerifier(config), isOwnFailure: (error: unknown) => error instanceof ProblemException });
    this.rules = {
      nameClaim: config.get('OIDC_NAME_CLAIM', { infer: true }),
      rolesClaim: config.get('OIDC_ROLES_CLAIM', { infer: true }),
      adminRole: config.get('OIDC_ADMIN_ROLE', { infer: true }),
    };
  }

  /** The caller, plus the token's expiry so the guard can remember the verification until then. */
  async validate(payload: JWTPayload): Promise<AuthUser & { exp: number }> {
    const profile = externalProfile(payload, this.rules);
    if (!profile) throw unauthorized();
    return { ...(await this.identities.resolve(profile)), exp: payload.exp! };
  }
}

type Config = ConfigService<EnvironmentVariables, true>;

const logger = new Logger('OidcStrategy');

const KEYS_UNAVAILABLE: ProblemSpec = {
  status: HttpStatus.SERVICE_UNAVAILABLE,
  code: 'service_unavailable',
  detail: "The identity provider's signing keys cannot be fetched right now; try again shortly.",
};

/** In local mode the strategy is registered but never listed by the guard; it refuses everything. */
function oidcVerifier(config: Config): VerifyToken {
  if (config.get('AUTH_MODE', { infer: true }) === 'local') return () => Promise.reject(unauthorized());
  const secret = config.get('OIDC_HS256_SECRET', { infer: true });
  const keys = new OidcKeys({
    OIDC_ISSUER: config.get('OIDC_ISSUER', { infer: true }),
    OIDC_JWKS_URI: config.get('OIDC_JWKS_URI', { infer: true }),
    OIDC_HS256_SECRET: secret,
    OIDC_JWKS_COOLDOWN_MS: config.get('OIDC_JWKS_COOLDOWN_MS', { infer: true }),
    OIDC_JWKS_MAX_AGE_MS: config.get('OIDC_JWKS_MAX_AGE_MS', { infer: true }),
  });
  const options: JWTVerifyOptions = {
    issuer: config.get('OIDC_ISSUER', { infer: true }),
    audience: config.get('OIDC_AUDIENCE', { infer: true }),
    algorithms: [...(keys.hasKeySet ? config.get('OIDC_ALGORITHMS', { infer: true }) : []), ...(secret ? ['HS256'] : [])],
    requiredClaims: ['exp', 'sub'],
  };
  return async (token) => {
    try {
      return (await jwtVerify(token, keys.getKey, options)).payload;
    } catch (error) {
      if (!(error instanceof KeysUnavailableError)) throw error;
      logger.warn(error.message);
      throw problem(KEYS_UNAVAILABLE, { headers: { 'Retry-After': '5' } });
    }
  };
}

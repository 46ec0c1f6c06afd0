import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { jwtSecret } from '../../config/jwt-secret.js';
import type { AuthUser } from '../../common/auth/auth-user.js';
import { unauthorized } from '../../common/problem/problem.js';
import { USER_ROLES } from '../../common/auth/auth-user.js';
import { isUuid } from '../../common/validation/uuid.js';

export const JWT_ALGORITHM = 'HS256';

/**
 * Verifies access tokens: HS256 only (so `alg: none` or an RS/HS confusion is refused), signature, issuer,
 * audience and expiry; a token without `exp` is refused too, since it would never expire.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(config: ConfigService<EnvironmentVariables, true>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: jsonwebtoken would otherwise re-derive the key on every request.
      secretOrKey: createSecretKey(Buffer.from(jwtSecret(config))) as unknown as string,
      algorithms: [JWT_ALGORITHM],
      issuer: config.get('JWT_ISSUER', { infer: true }),
      audience: config.get('JWT_AUDIENCE', { infer: true }),
      ignoreExpiration: false,
    });
  }

  /** The caller, plus the token's expiry so the guard can remember the verification until then. */
  validate(payload: Record<string, unknown>): AuthUser & { exp: number } {
    const { sub, role, exp } = payload;
    if (typeof exp !== 'number' || typeof sub !== 'string' || !isUuid(sub) || !USER_ROLES.includes(role as AuthUser['role'])) {
      throw unauthorized();
    }
    return { id: sub, role: role as AuthUser['role'], exp };
  }
}

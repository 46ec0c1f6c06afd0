import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { errors } from 'jose';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { authStrategies } from '../auth/auth-strategies.js';
import { IS_PUBLIC } from '../decorators/public.decorator.js';
import { unauthorized } from '../problem/problem.js';
import { LiveAccounts } from '../auth/live-accounts.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { isServiceCaller, type AuthUser, type Caller } from '../auth/auth-user.js';

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/;

/**
 * Global: every route needs a valid access token or API key unless marked @Public(). Passport tries the
 * strategies of AUTH_MODE in order (authStrategies: JwtStrategy for local tokens, OidcStrategy for the
 * identity provider's, ApiKeyStrategy for a service account's key); a token verified before is answered
 * from a cache until it expires. Then the account must still exist: an erased account's data is removed
 * in batches after the request that erased it, and its tokens must open none of it meanwhile
 * (LiveAccounts).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard() {
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: LiveAccounts,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    super({ defaultStrategy: authStrategies(config.get('AUTH_MODE', { infer: true })) });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Caller }>();
    const cached = this.verified.get(bearerToken(request) ?? '');
    if (cached) request.user = cached;
    else await (super.canActivate(context) as Promise<boolean>);
    const caller = request.user!;
    if (!isServiceCaller(caller)) await this.accounts.assertLive(caller.id);
    return true;
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    // A strategy's own refusal (a revoked key, a missing scope) is already the answer, and its failure (the
    // database, the provider's keys) is no verdict on the caller: neither becomes a generic 401.
    if (error) throw error;
    if (!user) throw unauthorized(isExpired(info) ? 'The access token has expired; refresh it.' : 'A valid access token is required.');
    const { exp, ...verified } = user as unknown as AuthUser & { exp?: number };
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (token && exp !== undefined) this.verified.set(token, verified, exp);
    return verified as TUser;
  }
}

/** What the strategies said about a refused token: one reason, or one per strategy when several were tried. */
function isExpired(info: unknown): boolean {
  const reasons: unknown[] = Array.isArray(info) ? info : [info];
  return reasons.some((reason) => reason instanceof errors.JWTExpired || (reason instanceof Error && reason.name === 'TokenExpiredError'));
}

function bearerToken(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

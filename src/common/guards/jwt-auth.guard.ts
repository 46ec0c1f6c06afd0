import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator.js';
import { unauthorized } from '../problem/problem.js';
import { LiveAccounts } from '../auth/live-accounts.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { API_KEY_STRATEGY, JWT_STRATEGY } from '../auth/strategies.js';
import { isServiceCaller, type AuthUser, type Caller } from '../auth/auth-user.js';

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/;

/**
 * The strategies a caller may authenticate with, tried in order until one succeeds: an access token of
 * this service, then a service account's API key (ApiKeyStrategy; its keys never look like a JWT).
 */
const STRATEGIES = [JWT_STRATEGY, API_KEY_STRATEGY];

/**
 * Global: every route needs a valid access token or API key unless marked @Public(). Passport and
 * passport-jwt verify a token (see JwtStrategy); a token verified before is answered from a cache until it
 * expires. Then the account must still exist: an erased account's data is removed in batches after the
 * request that erased it, and its tokens must open none of it meanwhile (LiveAccounts).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(STRATEGIES) {
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: LiveAccounts,
  ) {
    super();
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
    // A strategy's own refusal (a revoked key, a missing scope) is already the answer, and a failure to
    // look a key up (the database) is no verdict on the caller: neither becomes a generic 401.
    if (error) throw error;
    if (!user) {
      // With several strategies, `info` lists each one's reason.
      const expired = [info].flat().some((reason) => reason instanceof Error && reason.name === 'TokenExpiredError');
      throw unauthorized(expired ? 'The access token has expired; refresh it.' : 'A valid access token is required.');
    }
    const { exp, ...verified } = user as unknown as AuthUser & { exp?: number };
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (token && exp !== undefined) this.verified.set(token, verified, exp);
    return verified as TUser;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

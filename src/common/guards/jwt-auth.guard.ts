import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator.js';
import { unauthorized } from '../problem/problem.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import type { AuthUser } from '../auth/auth-user.js';

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/;

/**
 * Global: every route needs a valid access token unless marked @Public(). Passport and passport-jwt
 * verify it (see JwtStrategy); a token verified before is answered from a cache until it expires.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified = new VerifiedTokenCache();

  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const user = this.verified.get(bearerToken(request) ?? '');
    if (user) {
      request.user = user;
      return true;
    }
    return super.canActivate(context);
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (error || !user) {
      const expired = info instanceof Error && info.name === 'TokenExpiredError';
      throw unauthorized(expired ? 'The access token has expired; refresh it.' : 'A valid access token is required.');
    }
    const { exp, ...verified } = user as unknown as AuthUser & { exp: number };
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (token) this.verified.set(token, verified, exp);
    return verified as TUser;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

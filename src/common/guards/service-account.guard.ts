import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ACT_AS_USER_REQUIRED, ON_BEHALF_OF_REQUIRED, SCOPE_REQUIRED } from '../../api-keys/api-key.errors.js';
import { isServiceCaller, type ApiKeyScope, type Caller } from '../auth/auth-user.js';
import { API_KEY_SCOPE } from '../decorators/api-key-scope.decorator.js';
import { problem } from '../problem/problem.js';

/**
 * What an API key may reach, after the auth guard. A key calling for itself is no user, so it may call
 * only a route that names one of its scopes (@ApiKeyScopeAllowed); every other route acts on a user's data
 * and needs X-On-Behalf-Of. The header itself means something only to a key: from anyone else it is
 * refused, never ignored, so a caller cannot believe it acts for someone while it acts as itself.
 */
@Injectable()
export class ServiceAccountGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Caller }>();
    const caller = request.user;
    if (!caller) return true;
    if (isServiceCaller(caller)) {
      const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(API_KEY_SCOPE, [context.getHandler(), context.getClass()]);
      if (scope === undefined) throw problem(ON_BEHALF_OF_REQUIRED);
      if (!caller.scopes.includes(scope)) throw problem(SCOPE_REQUIRED);
      return true;
    }
    if (caller.apiKeyId === undefined && request.headers['x-on-behalf-of'] !== undefined) throw problem(ACT_AS_USER_REQUIRED);
    return true;
  }
}

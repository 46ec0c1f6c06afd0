import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Observable } from 'rxjs';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { isServiceCaller, type Caller } from '../../common/auth/auth-user.js';
import { asUser } from './row-security-context.js';

/**
 * Runs the handler, and everything it starts (a chat stream's writes included), as the authenticated
 * caller: with DATABASE_RLS=on, that is whose rows PostgreSQL shows the request's statements. Registered
 * first, so every other interceptor runs inside it too. Routes without a user (login, register, refresh,
 * health; an API key acting for no one) run in no scope, where the policies show no row of the secured
 * tables: what such a key may read (the admin usage report) says asSystem itself. With DATABASE_RLS=off
 * nothing reads the scope, so no request pays for one.
 */
@Injectable()
export class RowSecurityInterceptor implements NestInterceptor {
  private readonly enabled: boolean;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.enabled = config.get('DATABASE_RLS', { infer: true }) === 'on';
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const user = context.switchToHttp().getRequest<{ user?: Caller }>().user;
    if (!this.enabled || !user || isServiceCaller(user)) return next.handle();
    return new Observable((subscriber) => asUser(user.id, () => next.handle().subscribe(subscriber)));
  }
}

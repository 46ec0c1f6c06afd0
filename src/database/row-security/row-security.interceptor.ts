import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user.js';
import { asUser } from './row-security-context.js';

/**
 * Runs the handler, and everything it starts (a chat stream's writes included), as the authenticated
 * caller: with DATABASE_RLS=on, that is whose rows PostgreSQL shows the request's statements. Registered
 * first, so every other interceptor runs inside it too. Routes without a caller (login, register,
 * refresh, health) run in no scope, where the policies show no row of the secured tables.
 */
@Injectable()
export class RowSecurityInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) return next.handle();
    return new Observable((subscriber) => asUser(user.id, () => next.handle().subscribe(subscriber)));
  }
}

import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { isServiceCaller, type Caller, type UserRole } from '../auth/auth-user.js';
import { ROLES } from '../decorators/roles.decorator.js';
import { ProblemException } from '../problem/problem.js';

/**
 * Enforces @Roles(). The token's role claim is only a hint: the role is read again from the database, so a
 * demoted or deleted admin loses access at once rather than when the access token expires. An API key
 * calling for itself has no role: ServiceAccountGuard, which runs first, let it in only on a route that
 * names one of its scopes. A key acting for a user has role `user`, whatever that user's role.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: Caller }>().user;
    if (user && isServiceCaller(user)) return true;
    if (user && roles.includes(user.role)) {
      const rows: { role: UserRole }[] = await this.dataSource.query('SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL', [
        user.id,
      ]);
      if (rows[0] && roles.includes(rows[0].role)) return true;
    }
    throw new ProblemException(HttpStatus.FORBIDDEN, 'forbidden', `This route requires the ${roles.join(' or ')} role.`);
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { UserRole } from '../../users/user.entity.js';

/** The authenticated caller, as established by the JWT guard from the access token. */
export interface AuthUser {
  id: string;
  role: UserRole;
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);

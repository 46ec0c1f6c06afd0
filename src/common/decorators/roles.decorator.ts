import { SetMetadata } from '@nestjs/common';
import type { UserRole } from '../auth/auth-user.js';

export const ROLES = 'roles';

/** Restricts a route (or controller) to callers having one of these roles; see RolesGuard. */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

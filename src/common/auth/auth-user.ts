/**
 * Who is calling, as every layer sees it. Kept in common/ so guards, decorators and feature modules share
 * it without depending on the users module (whose entity stores the role).
 */
export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** The authenticated caller, as established by the JWT guard from the access token. */
export interface AuthUser {
  id: string;
  role: UserRole;
}

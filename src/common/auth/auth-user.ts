/**
 * Who is calling, as every layer sees it. Kept in common/ so guards, decorators and feature modules share
 * it without depending on the users module (whose entity stores the role).
 */
export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * What a service account's API key may do: `act_as_user` lets it send X-On-Behalf-Of and act as that user;
 * `usage:read` lets it read the per-user usage report (GET /admin/usage) without acting for anyone.
 */
export const API_KEY_SCOPES = ['act_as_user', 'usage:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The authenticated caller, as established by the global auth guard. */
export interface AuthUser {
  id: string;
  role: UserRole;
  /** Set when an API key acts for this user (X-On-Behalf-Of); the role is then always `user`. */
  apiKeyId?: string;
}

/** An API key calling for itself (no X-On-Behalf-Of): no user, so only routes that name one of its scopes. */
export interface ServiceCaller {
  apiKeyId: string;
  scopes: readonly ApiKeyScope[];
}

export type Caller = AuthUser | ServiceCaller;

export const isServiceCaller = (caller: Caller): caller is ServiceCaller => !('id' in caller);

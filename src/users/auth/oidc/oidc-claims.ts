import type { JWTPayload } from 'jose';
import type { UserRole } from '../../../common/auth/auth-user.js';

/** What a verified external token says about its user, in the shape the users table keeps it. */
export interface ExternalProfile {
  issuer: string;
  subject: string;
  /** Profile only: never used to find or link an account (see README, "Identity modes"). */
  email: string | null;
  displayName: string | null;
  /** Undefined when no OIDC_ROLES_CLAIM is configured: the role is then managed in this service. */
  role: UserRole | undefined;
}

export interface ClaimRules {
  nameClaim: string;
  rolesClaim: string | undefined;
  adminRole: string;
}

// The widths of the columns they land in (user_identities.subject, users.email, users.display_name).
const MAX_SUBJECT = 255;
const MAX_EMAIL = 254;
const MAX_NAME = 100;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// PostgreSQL text cannot hold NUL; a claim the user may edit (Supabase's user_metadata) could carry one.
const NUL = /\0/g;

/** `realm_access.roles` → payload.realm_access.roles; anything missing along the way is undefined. */
export function claimAt(payload: unknown, path: string): unknown {
  let value = payload;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A list of role names (Keycloak, Auth0) or one space-separated string (scope-style claims). */
function rolesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string');
  return typeof value === 'string' ? value.split(/\s+/) : [];
}

/** Null for a profile field the token lacks or that does not fit; the token is still accepted. */
function emailOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  return email.length <= MAX_EMAIL && EMAIL.test(email) && !email.includes('\0') ? email : null;
}

function nameOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const name = value.replace(NUL, '').trim();
  return name ? [...name].slice(0, MAX_NAME).join('') : null;
}

/** Null when the token cannot name a user: no usable `sub`, so it is refused (401). */
export function externalProfile(payload: JWTPayload, rules: ClaimRules): ExternalProfile | null {
  const { iss, sub } = payload;
  if (typeof iss !== 'string' || typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT || sub.includes('\0')) {
    return null;
  }
  const role = rules.rolesClaim === undefined ? undefined : rolesOf(claimAt(payload, rules.rolesClaim)).includes(rules.adminRole);
  return {
    issuer: iss,
    subject: sub,
    email: emailOf(payload.email),
    displayName: nameOf(claimAt(payload, rules.nameClaim)),
    role: role === undefined ? undefined : role ? 'admin' : 'user',
  };
}

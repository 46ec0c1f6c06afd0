import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';
import { problem } from '../common/problem/problem.js';

export const USER_NOT_FOUND: ProblemSpec = { status: HttpStatus.NOT_FOUND, code: 'user_not_found', detail: 'No user with this id.' };

export const EMAIL_TAKEN: ProblemSpec = {
  status: HttpStatus.CONFLICT,
  code: 'email_taken',
  detail: 'An account with this email already exists.',
};

export const INVALID_CREDENTIALS: ProblemSpec = {
  status: HttpStatus.UNAUTHORIZED,
  code: 'invalid_credentials',
  detail: 'The email or password is wrong.',
};

export const INVALID_REFRESH_TOKEN: ProblemSpec = {
  status: HttpStatus.UNAUTHORIZED,
  code: 'unauthorized',
  detail: 'The refresh token is invalid, expired or revoked; log in again.',
};

export const LOCAL_AUTH_DISABLED: ProblemSpec = {
  status: HttpStatus.NOT_FOUND,
  code: 'local_auth_disabled',
  detail:
    "Local accounts are off (AUTH_MODE=oidc): sign in with the identity provider and send its access token as 'Authorization: Bearer'.",
};

export const LAST_ADMIN: ProblemSpec = {
  status: HttpStatus.CONFLICT,
  code: 'last_admin',
  detail: 'This is the only admin; make another user admin first.',
};

export const userNotFound = () => problem(USER_NOT_FOUND);

/** ADMIN_EMAIL names an account whose password is not ADMIN_PASSWORD: promoting it would hand admin to whoever registered it. */
export class AdminTakeoverRefused extends Error {
  constructor(email: string) {
    super(
      `ADMIN_EMAIL=${email} names an existing account whose password is not ADMIN_PASSWORD, so it is not promoted. ` +
        'Delete that account, or run `npm run admin:create -- --force` to reset its password to ADMIN_PASSWORD and make it admin.',
    );
    this.name = 'AdminTakeoverRefused';
  }
}

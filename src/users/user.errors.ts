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

export const userNotFound = () => problem(USER_NOT_FOUND);

import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';

export const API_KEY_NOT_FOUND: ProblemSpec = {
  status: HttpStatus.NOT_FOUND,
  code: 'api_key_not_found',
  detail: 'No API key with this id.',
};

export const API_KEY_INVALID = 'The API key is not valid.';
export const API_KEY_REVOKED = 'This API key has been revoked.';
export const API_KEY_EXPIRED = 'This API key has expired.';

export const ACT_AS_USER_REQUIRED: ProblemSpec = {
  status: HttpStatus.FORBIDDEN,
  code: 'insufficient_scope',
  detail: 'X-On-Behalf-Of needs an API key with the act_as_user scope.',
};

export const SCOPE_REQUIRED: ProblemSpec = {
  status: HttpStatus.FORBIDDEN,
  code: 'insufficient_scope',
  detail: "This API key's scopes do not include the one this route needs.",
};

export const ON_BEHALF_OF_REQUIRED: ProblemSpec = {
  status: HttpStatus.FORBIDDEN,
  code: 'on_behalf_of_required',
  detail: "This route acts on a user's data: an API key must send X-On-Behalf-Of (scope act_as_user).",
};

export const ON_BEHALF_OF_UNKNOWN: ProblemSpec = {
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  code: 'on_behalf_of_unknown',
  detail: 'X-On-Behalf-Of names no user: neither a user id nor a subject of the configured OIDC issuer.',
};

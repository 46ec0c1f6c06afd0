import { SetMetadata } from '@nestjs/common';
import type { ApiKeyScope } from '../auth/auth-user.js';

export const API_KEY_SCOPE = 'apiKeyScope';

/** Lets an API key with this scope call the route for itself, without X-On-Behalf-Of; see ServiceAccountGuard. */
export const ApiKeyScopeAllowed = (scope: ApiKeyScope) => SetMetadata(API_KEY_SCOPE, scope);

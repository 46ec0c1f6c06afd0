import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { Strategy } from 'passport-custom';
import type { Caller } from '../common/auth/auth-user.js';
import { API_KEY_STRATEGY } from '../common/auth/auth-strategies.js';
import { problem } from '../common/problem/problem.js';
import { ACT_AS_USER_REQUIRED } from './api-key.errors.js';
import { presentedApiKey } from './api-key.codec.js';
import { ApiKeyLookup } from './api-key-lookup.js';
import { OnBehalfOf } from './on-behalf-of.js';

/**
 * Service accounts: a request presenting an API key (see presentedApiKey) is that key, or, with
 * X-On-Behalf-Of and scope act_as_user, that user with role `user` (an admin's rights never pass to a key).
 * A request without a key is not this strategy's (it fails, and the guard's other strategies decide).
 * The key's id (never the key) and the user acted for go on the request's log lines.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, API_KEY_STRATEGY) {
  constructor(
    private readonly keys: ApiKeyLookup,
    private readonly onBehalfOf: OnBehalfOf,
    private readonly logger: PinoLogger,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<Caller | false> {
    const presented = presentedApiKey(request.headers);
    if (presented === undefined) return false;
    const key = await this.keys.verify(presented);
    const header = request.headers['x-on-behalf-of'];
    if (header === undefined) {
      this.logger.assign({ api_key_id: key.id });
      return { apiKeyId: key.id, scopes: key.scopes };
    }
    if (!key.scopes.includes('act_as_user')) throw problem(ACT_AS_USER_REQUIRED);
    const userId = await this.onBehalfOf.resolve(header);
    this.logger.assign({ api_key_id: key.id, on_behalf_of: userId });
    return { id: userId, role: 'user', apiKeyId: key.id };
  }
}

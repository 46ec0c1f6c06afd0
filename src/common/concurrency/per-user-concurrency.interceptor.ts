import { type CallHandler, type ExecutionContext, HttpStatus, Injectable, type NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { lastValueFrom, type Observable, from } from 'rxjs';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import type { Caller } from '../auth/auth-user.js';
import { problem, type ProblemSpec } from '../problem/problem.js';
import { GateTimeoutError, KeyedGate } from './gate.js';

export const TOO_MANY_IN_FLIGHT: ProblemSpec = {
  status: HttpStatus.TOO_MANY_REQUESTS,
  code: 'rate_limited',
  detail: 'Too many of your requests are running at once; retry after the ones in flight finish (see Retry-After).',
};

/**
 * Fair shares: each user has at most PER_USER_CONCURRENCY requests in flight on this instance (so at most
 * that many pooled connections). The excess waits up to PER_USER_QUEUE_MS, then gets 429 with Retry-After.
 * Queued requests hold nothing but memory; anonymous routes (auth, health) are bounded elsewhere. An API
 * key has a share of its own; acting for a user it takes a slot of the user and then one of the key, so a
 * request waiting for a busy user holds none of the key's slots (the key's calls for other users go on),
 * and a busy key cannot crowd out the user's own calls by more than the key's share.
 */
@Injectable()
export class PerUserConcurrencyInterceptor implements NestInterceptor {
  private readonly gates: KeyedGate | null;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    const limit = config.get('PER_USER_CONCURRENCY', { infer: true });
    this.gates = limit > 0 ? new KeyedGate(limit, config.get('PER_USER_QUEUE_MS', { infer: true })) : null;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const caller = context.switchToHttp().getRequest<{ user?: Caller }>().user;
    if (!this.gates || !caller) return next.handle();
    const gates = this.gates;
    const handle = () => lastValueFrom(next.handle(), { defaultValue: undefined });
    const asKey = caller.apiKeyId === undefined ? handle : () => gates.run(`key:${caller.apiKeyId}`, handle);
    // Always the user's gate first, then the key's: one order everywhere, so waits can never form a cycle.
    const work = 'id' in caller ? () => gates.run(caller.id, asKey) : asKey;
    return from(
      work().catch((error: unknown) => {
        throw error instanceof GateTimeoutError ? problem(TOO_MANY_IN_FLIGHT, { headers: { 'Retry-After': '1' } }) : error;
      }),
    );
  }
}

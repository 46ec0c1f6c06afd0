import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { sessionLimitReached } from './session.errors.js';
import { SessionsRepository } from './sessions.repository.js';

/**
 * The active-session limit: at most N active sessions per (user, agent type). Callers run inside one
 * transaction: lock() serialises every creation and reactivation of the user's, on any app instance, until
 * commit; makeRoom() then evicts the oldest (or refuses, under the reject policy) before the caller
 * activates one more.
 */
@Injectable()
export class SessionLimiter {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  limitFor(agentType: string): number {
    return this.config.get('SESSION_LIMITS', { infer: true })[agentType] ?? this.config.get('MAX_SESSIONS_PER_AGENT', { infer: true });
  }

  /** Serialises the user's creations and reactivations (every agent type) until commit; see lockOwner. */
  lock(manager: EntityManager, userId: string): Promise<void> {
    return this.sessions.lockOwner(manager, userId);
  }

  /** Requires lock(). Returns the ids it deactivated, so the response can report each exactly once. */
  async makeRoom(manager: EntityManager, userId: string, agentType: string): Promise<string[]> {
    const limit = this.limitFor(agentType);
    if (this.config.get('SESSION_LIMIT_POLICY', { infer: true }) === 'reject') {
      if ((await this.sessions.countActive(manager, userId, agentType)) >= limit) {
        throw sessionLimitReached(limit, agentType);
      }
      return [];
    }
    return this.sessions.evictAllButNewest(manager, userId, agentType, limit - 1);
  }
}

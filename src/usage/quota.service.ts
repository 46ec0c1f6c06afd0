import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { nextUtcMidnight, quotaAllows, secondsUntilReset, type DailyLimits } from './quota-window.js';
import { quotaExceeded } from './usage.errors.js';
import { UsageRepository } from './usage.repository.js';
import type { QuotaDto } from './dto/usage-response.dto.js';

/**
 * Daily quotas: DEFAULT_DAILY_*_LIMIT, overridden per user by an admin. The check runs in the transaction
 * that stores the messages, under a per-user lock, so concurrent requests cannot overshoot the limit.
 */
@Injectable()
export class QuotaService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** With defaults set, every user message goes through reserve(); otherwise only for users with their own limits. */
  defaultsInForce(): boolean {
    const { tokens, messages } = this.limits(null);
    return tokens !== null || messages !== null;
  }

  async appliesTo(userId: string): Promise<boolean> {
    return this.defaultsInForce() || this.hasLimits(await this.usage.ownLimits(userId));
  }

  /** Inside the caller's transaction: locks the user's quota and refuses (429) when there is no room today. */
  async reserve(manager: EntityManager, userId: string, incomingUserMessages: number): Promise<void> {
    const own = await this.usage.lockQuota(manager, userId);
    const limits = this.limits(own);
    if (limits.tokens === null && limits.messages === null) return;
    const used = await this.usage.usedToday(userId, manager);
    if (!quotaAllows(limits, { tokens: used.tokens, userMessages: used.user_messages }, incomingUserMessages)) {
      throw quotaExceeded(secondsUntilReset(new Date()));
    }
  }

  async status(userId: string): Promise<QuotaDto> {
    const [own, used] = await Promise.all([this.usage.ownLimits(userId), this.usage.usedToday(userId)]);
    const limits = this.limits(own);
    return {
      daily_token_limit: limits.tokens,
      daily_message_limit: limits.messages,
      tokens_used_today: used.tokens,
      messages_today: used.user_messages,
      resets_at: nextUtcMidnight(new Date()).toISOString(),
    };
  }

  private limits(own: { daily_token_limit: number | null; daily_message_limit: number | null } | null): DailyLimits {
    return {
      tokens: own?.daily_token_limit ?? this.config.get('DEFAULT_DAILY_TOKEN_LIMIT', { infer: true }) ?? null,
      messages: own?.daily_message_limit ?? this.config.get('DEFAULT_DAILY_MESSAGE_LIMIT', { infer: true }) ?? null,
    };
  }

  private hasLimits(own: { daily_token_limit: number | null; daily_message_limit: number | null } | null): boolean {
    return own !== null && (own.daily_token_limit !== null || own.daily_message_limit !== null);
  }
}

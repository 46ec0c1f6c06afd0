import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { nextUtcMidnight, quotaAllows, secondsUntilReset, type DailyLimits } from './quota-window.js';
import { modelCallsInFlight, quotaExceeded } from './usage.errors.js';
import { UsageRepository, type Spending } from './usage.repository.js';
import type { QuotaDto } from './dto/usage-response.dto.js';

/** Grace past LLM_TIMEOUT_MS before a reservation left by a crashed instance stops counting. */
const RESERVATION_GRACE_MS = 30_000;

/** What a model call may still spend today: null is unlimited. */
export interface TokenBudget {
  remaining: number | null;
}

/** A reservation made for a model call: its id, and the output tokens the call may spend. */
export interface ModelCallGrant {
  id: string;
  maxOutputTokens: number;
}

/**
 * Daily quotas: DEFAULT_DAILY_*_LIMIT, overridden per user by an admin. The check runs in the transaction
 * that stores the messages, under a per-user lock, so concurrent requests cannot overshoot the limit.
 * Model calls reserve their worst case (a prompt upper bound plus the output tokens granted) under the same
 * lock and settle to the real count when the reply is stored, so concurrent turns cannot overshoot either.
 */
@Injectable()
export class QuotaService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** With defaults set, every user message takes the quota path; otherwise the append steps aside for users with limits. */
  defaultsInForce(): boolean {
    const { tokens, messages } = this.limits(null);
    return tokens !== null || messages !== null;
  }

  /** Inside the caller's transaction: locks the user's quota and refuses (429) when there is no room today. */
  async reserve(manager: EntityManager, userId: string, incomingUserMessages: number): Promise<void> {
    const limits = this.limits(await this.usage.lockQuota(manager, userId));
    if (limits.tokens === null && limits.messages === null) return;
    this.assertRoom(limits, await this.usage.usedToday(userId, manager), incomingUserMessages);
  }

  /**
   * First step of a chat turn, inside its transaction: locks the user's quota, refuses a call beyond
   * CHAT_MAX_CONCURRENT_PER_USER in flight (on any instance) or with today's limits reached, and says how
   * many tokens the call may still spend.
   */
  async admitModelCall(manager: EntityManager, userId: string): Promise<TokenBudget> {
    const limits = this.limits(await this.usage.lockQuota(manager, userId));
    const spending = await this.usage.usedToday(userId, manager);
    // The quota first: over it, waiting for a call in flight would not help.
    this.assertRoom(limits, spending, 1);
    if (spending.calls_in_flight >= this.config.get('CHAT_MAX_CONCURRENT_PER_USER', { infer: true })) throw modelCallsInFlight();
    return { remaining: limits.tokens === null ? null : limits.tokens - spending.tokens - spending.tokens_reserved };
  }

  /**
   * Reserves the call's worst case within the budget: the output is capped at LLM_MAX_OUTPUT_TOKENS and at
   * what the budget leaves after the prompt. No room for a single output token is a 429.
   */
  async reserveModelCall(manager: EntityManager, userId: string, budget: TokenBudget, promptTokens: number): Promise<ModelCallGrant> {
    const cap = this.config.get('LLM_MAX_OUTPUT_TOKENS', { infer: true });
    const maxOutputTokens = budget.remaining === null ? cap : Math.min(cap, budget.remaining - promptTokens);
    if (maxOutputTokens < 1) throw quotaExceeded(secondsUntilReset(new Date()));
    const ttlMs = this.config.get('LLM_TIMEOUT_MS', { infer: true }) + RESERVATION_GRACE_MS;
    return { id: await this.usage.reserve(manager, userId, promptTokens + maxOutputTokens, ttlMs), maxOutputTokens };
  }

  /** Ends the reservation; run it in the transaction that stores the reply, so the real usage replaces it atomically. */
  releaseModelCall(manager: EntityManager, userId: string, reservationId: string): Promise<void> {
    return this.usage.release(manager, userId, reservationId);
  }

  async status(userId: string): Promise<QuotaDto> {
    const own = await this.usage.ownLimits(userId);
    const used = await this.usage.usedToday(userId);
    const limits = this.limits(own);
    return {
      daily_token_limit: limits.tokens,
      daily_message_limit: limits.messages,
      tokens_used_today: used.tokens,
      messages_today: used.user_messages,
      resets_at: nextUtcMidnight(new Date()).toISOString(),
    };
  }

  /** Tokens reserved by calls in flight count as spent until they settle. */
  private assertRoom(limits: DailyLimits, spending: Spending, incomingUserMessages: number): void {
    const used = { tokens: spending.tokens + spending.tokens_reserved, userMessages: spending.user_messages };
    if (!quotaAllows(limits, used, incomingUserMessages)) throw quotaExceeded(secondsUntilReset(new Date()));
  }

  private limits(own: { daily_token_limit: number | null; daily_message_limit: number | null } | null): DailyLimits {
    return {
      tokens: own?.daily_token_limit ?? this.config.get('DEFAULT_DAILY_TOKEN_LIMIT', { infer: true }) ?? null,
      messages: own?.daily_message_limit ?? this.config.get('DEFAULT_DAILY_MESSAGE_LIMIT', { infer: true }) ?? null,
    };
  }
}

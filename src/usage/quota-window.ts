/** Quota days are UTC days. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Whole seconds until the quota resets, at least 1, for the Retry-After header. */
export function secondsUntilReset(now: Date): number {
  return Math.max(1, Math.ceil((nextUtcMidnight(now).getTime() - now.getTime()) / 1000));
}

export interface DailyLimits {
  tokens: number | null;
  messages: number | null;
}

export interface DailyUsage {
  tokens: number;
  userMessages: number;
}

/**
 * Whether `incomingUserMessages` more user messages may be stored today. A limit already reached refuses
 * everything; the message limit also refuses a batch that would go past it. null means unlimited.
 */
export function quotaAllows(limits: DailyLimits, used: DailyUsage, incomingUserMessages: number): boolean {
  if (limits.tokens !== null && used.tokens >= limits.tokens) return false;
  if (limits.messages !== null && used.userMessages + incomingUserMessages > limits.messages) return false;
  return true;
}

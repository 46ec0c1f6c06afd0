import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';
import { problem } from '../common/problem/problem.js';

export const QUOTA_EXCEEDED: ProblemSpec = {
  status: HttpStatus.TOO_MANY_REQUESTS,
  code: 'quota_exceeded',
  detail: 'Your daily message or token limit is reached; it resets at the next UTC midnight (see Retry-After).',
};

export const quotaExceeded = (retryAfterSeconds: number) =>
  problem(QUOTA_EXCEEDED, { headers: { 'Retry-After': String(retryAfterSeconds) } });

export const MODEL_CALLS_IN_FLIGHT: ProblemSpec = {
  status: HttpStatus.TOO_MANY_REQUESTS,
  code: 'rate_limited',
  detail: 'You have CHAT_MAX_CONCURRENT_PER_USER model calls in flight already; retry when one finishes (see Retry-After).',
};

export const modelCallsInFlight = () => problem(MODEL_CALLS_IN_FLIGHT, { headers: { 'Retry-After': '1' } });

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

import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';
import { problem } from '../common/problem/problem.js';

export const UPSTREAM_ERROR: ProblemSpec = {
  status: HttpStatus.BAD_GATEWAY,
  code: 'upstream_error',
  detail: 'The model did not answer: the model provider answered HTTP 500. Your message is stored; retry later.',
};

export const upstreamError = (reason: string) =>
  problem({ ...UPSTREAM_ERROR, detail: `The model did not answer: ${reason}. Your message is stored; retry later.` });

export const MODEL_NOT_ALLOWED: ProblemSpec = {
  status: HttpStatus.BAD_REQUEST,
  code: 'model_not_allowed',
  detail: 'This model is not offered here; leave `model` out for the default, or pick one of LLM_MODELS.',
};

export const modelNotAllowed = (allowed: string[]) =>
  problem({ ...MODEL_NOT_ALLOWED, detail: `This model is not offered here; leave \`model\` out or use one of: ${allowed.join(', ')}.` });

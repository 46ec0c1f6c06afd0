import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';
import { problem } from '../common/problem/problem.js';

export const SESSION_NOT_FOUND: ProblemSpec = {
  status: HttpStatus.NOT_FOUND,
  code: 'session_not_found',
  detail: 'No session with this id.',
};

export const SESSION_INACTIVE: ProblemSpec = {
  status: HttpStatus.CONFLICT,
  code: 'session_inactive',
  detail: 'This session is not active; reactivate it (PATCH is_active: true) or start a new one.',
};

export const SESSION_LIMIT_REACHED: ProblemSpec = {
  status: HttpStatus.CONFLICT,
  code: 'session_limit_reached',
  detail: 'You already have 5 active primary sessions; end or delete one first. (Only with SESSION_LIMIT_POLICY=reject.)',
};

export const CONFIRMATION_REQUIRED: ProblemSpec = {
  status: HttpStatus.BAD_REQUEST,
  code: 'confirmation_required',
  detail: 'Deleting all your sessions needs confirm=true in the query; nothing was deleted.',
};

export const sessionNotFound = () => problem(SESSION_NOT_FOUND);

export const confirmationRequired = () => problem(CONFIRMATION_REQUIRED);

export const sessionInactive = () => problem(SESSION_INACTIVE);

export const sessionLimitReached = (limit: number, agentType: string) =>
  problem({ ...SESSION_LIMIT_REACHED, detail: `You already have ${limit} active ${agentType} sessions; end or delete one first.` });

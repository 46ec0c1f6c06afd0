import { HttpStatus } from '@nestjs/common';
import type { ProblemSpec } from '../common/problem/problem.js';
import { problem } from '../common/problem/problem.js';

export const MESSAGE_NOT_FOUND: ProblemSpec = {
  status: HttpStatus.NOT_FOUND,
  code: 'message_not_found',
  detail: 'No message with this id.',
};

export const messageNotFound = () => problem(MESSAGE_NOT_FOUND);

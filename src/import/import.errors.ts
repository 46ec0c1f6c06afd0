import { HttpStatus } from '@nestjs/common';
import { ProblemException, type ProblemSpec } from '../common/problem/problem.js';

export const IMPORT_TOO_LARGE: ProblemSpec = {
  status: HttpStatus.PAYLOAD_TOO_LARGE,
  code: 'payload_too_large',
  detail: 'The import is larger than IMPORT_MAX_BYTES (268435456 bytes).',
};

export const IMPORT_NOT_READABLE: ProblemSpec = {
  status: HttpStatus.BAD_REQUEST,
  code: 'invalid_import',
  detail: 'The first line must be {"type":"user","version":1,…}.',
};

/**
 * A problem with the body as a whole. The connection is closed after the answer, so the rest of a large
 * body is never read.
 */
export const bodyProblem = (spec: ProblemSpec, detail: string) =>
  new ProblemException(spec.status, spec.code, detail, { headers: { Connection: 'close' } });

export const importTooLarge = (limit: number) =>
  bodyProblem(IMPORT_TOO_LARGE, `The import is larger than IMPORT_MAX_BYTES (${limit} bytes).`);

export const importNotReadable = (detail: string) => bodyProblem(IMPORT_NOT_READABLE, detail);

/** Why one conversation was not stored; the others go on. */
export class ConversationRefused extends Error {}

import { jest } from '@jest/globals';
import { BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { QueryFailedError } from 'typeorm';
import { ProblemException } from '../problem/problem.js';
import { ProblemFilter } from './problem.filter.js';

/** Runs the filter against a recording reply and returns what it would send. */
function answer(exception: unknown) {
  const sent = { status: 0, headers: {} as Record<string, string>, type: '', body: undefined as unknown };
  const reply = {
    sent: false,
    raw: { headersSent: false },
    status(code: number) {
      sent.status = code;
      return this;
    },
    headers(values: Record<string, string>) {
      Object.assign(sent.headers, values);
      return this;
    },
    type(value: string) {
      sent.type = value;
      return this;
    },
    send(payload: string) {
      sent.body = JSON.parse(payload);
      return this;
    },
  };
  const request = { url: '/api/v1/things/1?secret=query', id: 'req-1' };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
  new ProblemFilter().catch(exception, host);
  return sent;
}

const pgError = (code: string, extra: Record<string, string> = {}) =>
  new QueryFailedError(
    'SELECT password_hash FROM users',
    [],
    Object.assign(new Error('duplicate key value violates unique constraint'), { code, ...extra }),
  );

describe('ProblemFilter', () => {
  const logged = { error: [] as unknown[], warn: [] as unknown[] };
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation((entry) => void logged.error.push(entry));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((entry) => void logged.warn.push(entry));
  });

  it('logs the cause of a 500 without the failed query parameters', () => {
    const secret = 'scrypt$32768$8$3$c2FsdA$aGFzaA';
    answer(
      new QueryFailedError(
        'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
        ['a@b.c', secret],
        Object.assign(new Error('boom'), { code: 'XX000' }),
      ),
    );
    const entry = JSON.stringify(logged.error.at(-1));
    expect(entry).toContain('INSERT INTO users');
    expect(entry).toContain('XX000');
    expect(entry).not.toContain(secret);
    expect(entry).not.toContain('a@b.c');
  });

  it('answers an unexpected error with a 500 that reveals nothing', () => {
    const sent = answer(new Error('connect to 10.0.0.5 failed: SELECT password_hash FROM users'));
    expect(sent.status).toBe(500);
    expect(sent.type).toMatch(/^application\/problem\+json/);
    expect(sent.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred. It has been logged.',
      code: 'internal_error',
      instance: '/api/v1/things/1',
    });
  });

  it('treats driver errors it does not know as 500s without SQL', () => {
    const sent = answer(pgError('23505'));
    expect(sent.status).toBe(500);
    expect(JSON.stringify(sent.body)).not.toMatch(/SELECT|duplicate|password/);
  });

  it.each([
    ['a connection refusal', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['an admin shutdown', pgError('57P01')],
    ['a statement timeout', pgError('57014')],
    ['a connection exception class', pgError('08006')],
  ])('maps %s to 503 service_unavailable', (_name, error) => {
    const sent = answer(error);
    expect(sent.status).toBe(503);
    expect(sent.body).toMatchObject({ code: 'service_unavailable' });
    expect(sent.headers['Retry-After']).toBe('1');
  });

  it('maps a write for a deleted user to 401', () => {
    const sent = answer(pgError('23503', { constraint: 'chat_sessions_user_id_fkey' }));
    expect(sent).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });

  it('keeps the status, code, detail, field errors and headers of a ProblemException', () => {
    const sent = answer(
      new ProblemException(429, 'quota_exceeded', 'Daily message limit reached.', {
        headers: { 'Retry-After': '60' },
        errors: [{ field: 'x', message: 'y' }],
      }),
    );
    expect(sent).toMatchObject({
      status: 429,
      headers: { 'Retry-After': '60' },
      body: { code: 'quota_exceeded', detail: 'Daily message limit reached.', errors: [{ field: 'x', message: 'y' }] },
    });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'invalid_json'],
  ])('maps Fastify %s to %i %s', (code, status, problemCode) => {
    const cause = Object.assign(new Error('parser said no'), { code, statusCode: status, name: 'FastifyError' });
    expect(answer(new HttpException('parser said no', status, { cause }))).toMatchObject({ status, body: { code: problemCode } });
  });

  it('maps Nest and throttler exceptions to their codes', () => {
    expect(answer(new NotFoundException('Cannot GET /x'))).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(answer(new BadRequestException('nope'))).toMatchObject({ status: 400, body: { code: 'bad_request', detail: 'nope' } });
    expect(answer(new ThrottlerException())).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { TestApp } from './test-app.js';

export const API = '/api/v1';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `{ Authorization: 'Bearer …' }` */
  auth: { Authorization: string };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID()}@example.com`;
}

/** Registers a fresh user through the API, as a frontend would. */
export async function registerUser(
  t: TestApp,
  fields: { email?: string; password?: string; display_name?: string } = {},
): Promise<TestUser> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? 'correct horse battery';
  const res = await request(t.server)
    .post(`${API}/auth/register`)
    .send({ ...fields, email, password })
    .expect(201);
  return {
    id: res.body.user.id,
    email,
    password,
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
    auth: { Authorization: `Bearer ${res.body.access_token}` },
  };
}

/** Asserts the RFC 9457 shape every error must have, and returns the body. */
export function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      code,
      instance: expect.any(String),
    }),
  );
  return res.body as { errors?: { field: string; message: string }[]; detail: string };
}

import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ConfigService } from '@nestjs/config';
import { EnvironmentVariables, type Env } from './env.schema.js';

export type { Env } from './env.schema.js';

/** Typed access to the validated environment: `config.get('PORT', { infer: true })`. */
export type AppConfig = ConfigService<EnvironmentVariables, true>;

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Validates the raw environment once, at boot. Empty strings count as unset, so `FOO=` in an .env file
 * means "use the default". Throws InvalidConfigError naming every bad variable (never echoing values,
 * which may be secrets).
 */
export function validateEnv(raw: Record<string, string | undefined>): Env {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const env = plainToInstance(EnvironmentVariables, present, { excludeExtraneousValues: false });
  const problems = [...validateSync(env, { forbidUnknownValues: false }).flatMap(describe), ...crossFieldProblems(env)];
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return Object.freeze(pickKnown(env));
}

function describe(error: ValidationError): string[] {
  return Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
}

function crossFieldProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') {
    if (!env.JWT_SECRET) problems.push('JWT_SECRET is required when NODE_ENV=production');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');
  }
  if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (Array.isArray(env.AGENT_TYPES) && env.AGENT_TYPES.length === 0) problems.push('AGENT_TYPES must name at least one agent type');
  const known = new Set(env.AGENT_TYPES);
  for (const [type, limit] of Object.entries(env.SESSION_LIMITS ?? {})) {
    if (!known.has(type)) problems.push(`SESSION_LIMITS names unknown agent type "${type}"`);
    if (!Number.isInteger(limit) || limit < 1) problems.push(`SESSION_LIMITS for "${type}" must be a positive integer`);
  }
  for (const [type, prompt] of Object.entries(env.AGENT_SYSTEM_PROMPTS ?? {})) {
    if (!known.has(type)) problems.push(`AGENT_SYSTEM_PROMPTS names unknown agent type "${type}"`);
    if (typeof prompt !== 'string') problems.push(`AGENT_SYSTEM_PROMPTS for "${type}" must be a string`);
  }
  if (env.CHAT_DEFAULT_PAGE_SIZE > env.CHAT_MAX_PAGE_SIZE) {
    problems.push('CHAT_DEFAULT_PAGE_SIZE must not exceed CHAT_MAX_PAGE_SIZE');
  }
  if (env.LLM_PROVIDER === 'openai' && !env.LLM_MODEL) problems.push('LLM_MODEL is required when LLM_PROVIDER=openai');
  return problems;
}

/** Copies only the schema's own fields, so unrelated process variables never reach the config store. */
function pickKnown(env: EnvironmentVariables): EnvironmentVariables {
  const known = new EnvironmentVariables();
  for (const key of Object.keys(known) as (keyof EnvironmentVariables)[]) {
    (known as unknown as Record<string, unknown>)[key] = env[key];
  }
  return known;
}

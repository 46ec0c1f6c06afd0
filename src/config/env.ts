import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ConfigService } from '@nestjs/config';
import { validateCronExpression } from 'cron';
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
  const errors = validateSync(env, { forbidUnknownValues: false });
  const invalid = new Set(errors.map((error) => error.property));
  const problems = [...errors.map(describe), ...crossFieldProblems(env, invalid)];
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return Object.freeze(pickKnown(env));
}

/**
 * One line per bad variable: the failed rule written first in the schema, its type, and not also every
 * range rule after it (PORT=abc is "not an integer", not three lines). Decorators apply bottom-up, so
 * class-validator lists that rule last.
 */
function describe(error: ValidationError): string {
  const message = Object.values(error.constraints ?? {}).at(-1) ?? 'is invalid';
  return message.startsWith(error.property) ? message : `${error.property}: ${message}`;
}

/** Rules across variables, checked only on variables that passed their own rules (a malformed map has no entries to check). */
function crossFieldProblems(env: EnvironmentVariables, invalid: Set<string>): string[] {
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') {
    if (!env.JWT_SECRET) problems.push('JWT_SECRET is required when NODE_ENV=production');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');
  }
  if (env.DATABASE_READ_URLS.length > 0 && !env.DATABASE_URL) {
    problems.push('DATABASE_READ_URLS needs DATABASE_URL: replicas are of a server you run, not of the embedded database');
  }
  if (env.DATABASE_RLS === 'on') problems.push(...rowSecurityProblems(env));
  if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (Array.isArray(env.AGENT_TYPES) && env.AGENT_TYPES.length === 0) problems.push('AGENT_TYPES must name at least one agent type');
  const known = new Set(env.AGENT_TYPES);
  if (invalid.has('AGENT_TYPES')) return problems;
  for (const [type, limit] of Object.entries(invalid.has('SESSION_LIMITS') ? {} : env.SESSION_LIMITS)) {
    if (!known.has(type)) problems.push(`SESSION_LIMITS names unknown agent type "${type}"`);
    if (!Number.isInteger(limit) || limit < 1) problems.push(`SESSION_LIMITS for "${type}" must be a positive integer`);
  }
  for (const [type, prompt] of Object.entries(invalid.has('AGENT_SYSTEM_PROMPTS') ? {} : env.AGENT_SYSTEM_PROMPTS)) {
    if (!known.has(type)) problems.push(`AGENT_SYSTEM_PROMPTS names unknown agent type "${type}"`);
    if (typeof prompt !== 'string') problems.push(`AGENT_SYSTEM_PROMPTS for "${type}" must be a string`);
  }
  if (env.CHAT_DEFAULT_PAGE_SIZE > env.CHAT_MAX_PAGE_SIZE) {
    problems.push('CHAT_DEFAULT_PAGE_SIZE must not exceed CHAT_MAX_PAGE_SIZE');
  }
  if (env.LLM_PROVIDER === 'openai') problems.push(...openAiProblems(env));
  if (!invalid.has('RETENTION_SCHEDULE') && retentionCron(env) !== null && !validateCronExpression(env.RETENTION_SCHEDULE).valid) {
    problems.push('RETENTION_SCHEDULE must be a cron expression such as "0 * * * *", or off');
  }
  if (env.AUTH_MODE !== 'local') problems.push(...oidcProblems(env));
  return problems;
}

/** Without an issuer, an audience and a key source no external token could be checked: refuse at boot instead. */
function oidcProblems(env: EnvironmentVariables): string[] {
  const mode = `AUTH_MODE=${env.AUTH_MODE}`;
  const problems: string[] = [];
  if (!env.OIDC_ISSUER) {
    problems.push(`${mode} needs OIDC_ISSUER (the identity provider's issuer URL, the tokens' \`iss\`)`);
  }
  if (!env.OIDC_AUDIENCE) problems.push(`${mode} needs OIDC_AUDIENCE (the \`aud\` the provider puts in tokens for this API)`);
  if (env.AUTH_MODE === 'oidc' && env.ADMIN_EMAIL) {
    problems.push('ADMIN_EMAIL creates a local account, which cannot log in when AUTH_MODE=oidc: grant admin with OIDC_ROLES_CLAIM');
  }
  return problems;
}

/** The retention job's cron expression, or null when this instance runs none (RETENTION_SCHEDULE=off or 0). */
export function retentionCron(env: Pick<Env, 'RETENTION_SCHEDULE'>): string | null {
  const schedule = env.RETENTION_SCHEDULE.trim();
  return schedule === 'off' || schedule === '0' ? null : schedule;
}

/**
 * The embedded database gets its app role from the service; another server's role is the operator's
 * (README, "Row-level security"). Behind a transaction pooler, the per-connection setting that carries the
 * user of a statement outside a transaction would reach whichever server connection comes next.
 */
function rowSecurityProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (env.DATABASE_URL && !env.DATABASE_APP_URL) {
    problems.push('DATABASE_RLS=on needs DATABASE_APP_URL: the role the app connects as, one that does not own the tables');
  }
  if (env.DATABASE_APP_URL && !env.DATABASE_URL) problems.push('DATABASE_APP_URL needs DATABASE_URL (the owner, who migrates and grants)');
  if (env.DATABASE_TRANSACTION_POOLING) problems.push('DATABASE_RLS=on is not supported with DATABASE_TRANSACTION_POOLING=true');
  return problems;
}

/** Without a key or an endpoint every turn would end in 502: refuse at boot instead. */
function openAiProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (!env.LLM_MODEL) problems.push('LLM_MODEL is required when LLM_PROVIDER=openai');
  if (!env.LLM_API_KEY && !env.LLM_BASE_URL) {
    problems.push('LLM_PROVIDER=openai needs LLM_API_KEY (for api.openai.com) or LLM_BASE_URL (for a local OpenAI-compatible server)');
  }
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

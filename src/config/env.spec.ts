import { InvalidConfigError, retentionCron, validateEnv } from './env.js';

function problemsOf(raw: Record<string, string>): string[] {
  try {
    validateEnv(raw);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('validateEnv', () => {
  it.each([
    ['false', false],
    ['0', false],
    ['2', 2],
    ['10.0.0.0/8, 192.0.2.7 ,::1, fd00::/8, loopback', ['10.0.0.0/8', '192.0.2.7', '::1', 'fd00::/8', 'loopback']],
  ])('reads TRUST_PROXY=%s as %j', (raw, expected) => {
    expect(validateEnv({ TRUST_PROXY: raw }).TRUST_PROXY).toEqual(expected);
  });

  it('refuses TRUST_PROXY=true and addresses that are not IPs or CIDRs', () => {
    for (const raw of ['true', 'TRUE', '10.0.0.0/8,proxy.internal', '192.0.2.0/40']) {
      expect(problemsOf({ TRUST_PROXY: raw })).toEqual([expect.stringMatching(/^TRUST_PROXY must be false.*`true` is refused/)]);
    }
  });

  it('applies defaults and parses typed values', () => {
    const env = validateEnv({
      DATABASE_URL: 'postgres://app@db:5432/chat',
      SESSION_LIMITS: 'router:10, log_analysis:3',
      AGENT_SYSTEM_PROMPTS: '{"primary":"Be brief."}',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      MIGRATIONS_RUN: 'false',
      PORT: '8080',
      UNRELATED: 'ignored',
    });
    expect(env).toMatchObject({
      PORT: 8080,
      MAX_SESSIONS_PER_AGENT: 5,
      SESSION_LIMIT_POLICY: 'evict_oldest',
      SESSION_LIMITS: { router: 10, log_analysis: 3 },
      AGENT_SYSTEM_PROMPTS: { primary: 'Be brief.' },
      CORS_ORIGINS: ['https://a.example', 'https://b.example'],
      MIGRATIONS_RUN: false,
      AGENT_TYPES: ['primary', 'log_analysis', 'research', 'router'],
    });
    expect(env).not.toHaveProperty('UNRELATED');
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ PORT: '', DATABASE_URL: ' ' })).toMatchObject({ PORT: 3000, DATABASE_URL: undefined });
  });

  it('names every bad variable without echoing secret values', () => {
    const problems = problemsOf({ PORT: 'abc', MIGRATIONS_RUN: 'maybe', SESSION_LIMITS: 'router=3', JWT_SECRET: 'short-secret' });
    const text = problems.join('\n');
    for (const name of ['PORT', 'MIGRATIONS_RUN', 'SESSION_LIMITS', 'JWT_SECRET']) expect(text).toContain(name);
    expect(text).not.toContain('short-secret');
  });

  it('requires a secret and a database in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('JWT_SECRET'), expect.stringContaining('DATABASE_URL')]));
  });

  it('reads DATABASE_READ_URLS as postgres URLs of replicas beside DATABASE_URL', () => {
    const primary = { DATABASE_URL: 'postgres://app@db:5432/chat' };
    expect(validateEnv({ ...primary, DATABASE_READ_URLS: '' }).DATABASE_READ_URLS).toEqual([]);
    expect(
      validateEnv({ ...primary, DATABASE_READ_URLS: 'postgres://app@r1:5432/chat, postgresql://app@r2:5432/chat' }).DATABASE_READ_URLS,
    ).toEqual(['postgres://app@r1:5432/chat', 'postgresql://app@r2:5432/chat']);
    expect(problemsOf({ ...primary, DATABASE_READ_URLS: 'postgres://app@r1/chat,mysql://r2/chat' })).toEqual([
      'DATABASE_READ_URLS must be comma-separated postgres:// URLs',
    ]);
    expect(problemsOf({ DATABASE_READ_URLS: 'postgres://app@r1/chat' })).toEqual([
      expect.stringMatching(/^DATABASE_READ_URLS needs DATABASE_URL/),
    ]);
  });

  it('rejects limits and prompts for agent types that do not exist', () => {
    const problems = problemsOf({ SESSION_LIMITS: 'planner:2', AGENT_SYSTEM_PROMPTS: '{"planner":"x"}' });
    expect(problems).toEqual([
      'SESSION_LIMITS names unknown agent type "planner"',
      'AGENT_SYSTEM_PROMPTS names unknown agent type "planner"',
    ]);
  });

  it('says one line per bad variable', () => {
    expect(problemsOf({ SESSION_LIMITS: 'router:10,foo' })).toEqual(['SESSION_LIMITS must look like router:10,log_analysis:3']);
    expect(problemsOf({ AGENT_SYSTEM_PROMPTS: '{bad' })).toEqual(['AGENT_SYSTEM_PROMPTS must be a JSON object keyed by agent type']);
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT must be an integer number']);
    expect(problemsOf({ PORT: '70000', AGENT_TYPES: 'Bad-Name', SESSION_LIMITS: 'x:1' })).toEqual([
      'PORT must not be greater than 65535',
      'AGENT_TYPES must be lower_snake_case names',
    ]);
  });

  it('refuses the openai provider with neither a key nor an endpoint', () => {
    expect(problemsOf({ LLM_PROVIDER: 'openai', LLM_MODEL: 'gpt-4o-mini' })).toEqual([
      expect.stringMatching(/LLM_API_KEY .* or LLM_BASE_URL/),
    ]);
    expect(validateEnv({ LLM_PROVIDER: 'openai', LLM_MODEL: 'm', LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toMatchObject({
      LLM_PROVIDER: 'openai',
    });
    expect(validateEnv({ LLM_PROVIDER: 'openai', LLM_MODEL: 'm', LLM_API_KEY: 'sk-test' })).toMatchObject({ LLM_PROVIDER: 'openai' });
  });

  it('refuses oidc and both modes without an issuer and an audience, naming both', () => {
    for (const mode of ['oidc', 'both']) {
      expect(problemsOf({ AUTH_MODE: mode })).toEqual([
        expect.stringMatching(new RegExp(`AUTH_MODE=${mode} needs OIDC_ISSUER`)),
        expect.stringMatching(/needs OIDC_AUDIENCE/),
      ]);
    }
    const oidc = { AUTH_MODE: 'oidc', OIDC_ISSUER: 'http://127.0.0.1:8080/realms/acme', OIDC_AUDIENCE: 'chat' };
    expect(validateEnv(oidc)).toMatchObject({ ...oidc, OIDC_ALGORITHMS: ['RS256', 'ES256'] });
    expect(problemsOf({ ...oidc, ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'long enough' })).toEqual([
      expect.stringMatching(/ADMIN_EMAIL creates a local account.*OIDC_ROLES_CLAIM/),
    ]);
  });

  it('pins external algorithms to asymmetric ones: HS256 only comes with its shared secret', () => {
    expect(problemsOf({ OIDC_ALGORITHMS: 'RS256,HS256' })).toEqual([expect.stringMatching(/^OIDC_ALGORITHMS must list/)]);
    expect(problemsOf({ OIDC_ALGORITHMS: 'none' })).toEqual([expect.stringMatching(/^OIDC_ALGORITHMS must list/)]);
    expect(problemsOf({ OIDC_HS256_SECRET: 'short' })).toEqual(['OIDC_HS256_SECRET must be at least 32 characters long']);
  });
});

describe('retention settings', () => {
  it('defaults to purging soft-deleted sessions after 30 days, keeping inactive ones, hourly', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({ CHAT_SESSION_CLEANUP_DAYS: 30, CHAT_INACTIVE_RETENTION_DAYS: undefined, RETENTION_MODE: 'anonymize' });
    expect(retentionCron(env)).toBe('0 * * * *');
  });

  it('reads off and 0 as no schedule, and a cron expression as itself', () => {
    expect(retentionCron(validateEnv({ RETENTION_SCHEDULE: 'off' }))).toBeNull();
    expect(retentionCron(validateEnv({ RETENTION_SCHEDULE: '0' }))).toBeNull();
    expect(retentionCron(validateEnv({ RETENTION_SCHEDULE: '*/5 2-4 * * 1-5' }))).toBe('*/5 2-4 * * 1-5');
  });

  it('names each bad retention setting', () => {
    expect(
      problemsOf({
        CHAT_SESSION_CLEANUP_DAYS: '-1',
        CHAT_INACTIVE_RETENTION_DAYS: '0',
        RETENTION_MODE: 'archive',
        RETENTION_SCHEDULE: 'every hour',
        RETENTION_BATCH_SIZE: '0',
      }),
    ).toEqual([
      expect.stringMatching(/^CHAT_SESSION_CLEANUP_DAYS/),
      expect.stringMatching(/^CHAT_INACTIVE_RETENTION_DAYS/),
      expect.stringMatching(/^RETENTION_MODE/),
      expect.stringMatching(/^RETENTION_BATCH_SIZE/),
      expect.stringMatching(/^RETENTION_SCHEDULE must be a cron expression/),
    ]);
    expect(problemsOf({ RETENTION_SCHEDULE: '61 * * * *' })).toEqual([expect.stringMatching(/^RETENTION_SCHEDULE/)]);
  });
});

describe('.env.example', () => {
  it('lists every variable of the schema, with the default the schema applies', async () => {
    const { readFile } = await import('node:fs/promises');
    const { EnvironmentVariables } = await import('./env.schema.js');
    const lines = (await readFile('.env.example', 'utf8')).split('\n').filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line));
    const documented = Object.fromEntries(
      lines.map((line) => {
        const [name, rest] = line.split(/=(.*)/s);
        return [name, rest.replace(/\s+#.*$/, '').trim()];
      }),
    );
    const defaults = new EnvironmentVariables();
    expect(Object.keys(documented).sort()).toEqual(Object.keys(defaults).sort());
    // Parsing the example file as an environment must give exactly the schema's defaults.
    expect(validateEnv(documented)).toEqual(validateEnv({}));
  });
});

import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsTrustProxy, toTrustProxy, type TrustProxy } from './trust-proxy.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SESSION_LIMIT_POLICIES = ['evict_oldest', 'reject'] as const;
export const LLM_PROVIDERS = ['echo', 'openai'] as const;
export const RETENTION_MODES = ['delete', 'anonymize'] as const;
/** Who issues the access tokens the service accepts: itself (`local`), an identity provider (`oidc`), or either. */
export const AUTH_MODES = ['local', 'oidc', 'both'] as const;
/** Asymmetric algorithms an identity provider may sign with; HS256 is added only with OIDC_HS256_SECRET. */
export const OIDC_ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export const ROW_SECURITY_MODES = ['off', 'on'] as const;

const INTEGER = /^-?\d+$/;
const AGENT_TYPE = /^[a-z][a-z0-9_]{0,31}$/;

/** Environment strings become typed values here; anything unparseable is left as is for the validators to name. */
const toInt = () => Transform(({ value }) => (typeof value === 'string' && INTEGER.test(value.trim()) ? Number(value) : value));
const toBool = () =>
  Transform(({ value }) => {
    const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return value;
  });
const toList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value,
  );
const toJson = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  });
/** `router:10,log_analysis:3` → { router: 10, log_analysis: 3 }; malformed input stays a string and fails @IsObject. */
const toLimitMap = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const map: Record<string, number> = {};
    for (const pair of value.split(',').filter((p) => p.trim())) {
      const [name, limit, extra] = pair.split(':').map((part) => part.trim());
      if (!name || !limit || extra !== undefined || !INTEGER.test(limit)) return value;
      map[name] = Number(limit);
    }
    return map;
  });

/**
 * Every setting the service reads. Defaults live here and in .env.example; nothing else reads process.env.
 * Cross-field rules (production requirements, limits naming known agent types) are in validateEnv().
 */
export class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @toInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /** Streaming replicas of DATABASE_URL for reads that tolerate lag (see LagTolerantReads); empty: all on the primary. */
  @toList()
  @IsString({ each: true })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { each: true, message: 'DATABASE_READ_URLS must be comma-separated postgres:// URLs' })
  DATABASE_READ_URLS: string[] = [];

  @toInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @toInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_CONNECT_TIMEOUT_MS = 3000;

  @toInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 30_000;

  /**
   * DATABASE_URL is a transaction pooler (PgBouncer pool_mode=transaction): send no session settings at
   * connect (it refuses them); statements outside a transaction then take the role's statement_timeout.
   */
  @toBool()
  @IsBoolean()
  DATABASE_TRANSACTION_POOLING = false;

  /**
   * `on`: the app's connections use DATABASE_APP_URL, a role that does not own the tables, so the row-level
   * security policies apply to every statement it sends; DATABASE_URL (the owner) only migrates and grants.
   */
  @IsIn(ROW_SECURITY_MODES)
  DATABASE_RLS: (typeof ROW_SECURITY_MODES)[number] = 'off';

  /** With DATABASE_RLS=on: the app's own role. Empty on the embedded database: the service creates `chat_app` there. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_APP_URL must be a postgres:// URL' })
  DATABASE_APP_URL?: string;

  @toBool()
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /** Rows one erasure batch deletes in its own short transaction (far below the statement timeout). */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  ERASURE_BATCH_SIZE = 5000;

  /**
   * Rows one export statement reads (sessions, messages or usage rows): a streaming export holds about one
   * batch in memory, and a pooled connection only while that statement runs.
   */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  EXPORT_BATCH_SIZE = 1000;

  /**
   * How long an instance trusts that a token's account still exists before looking again; the instance
   * that erases an account forgets it at once. 0 looks on every request.
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  AUTH_ACCOUNT_CHECK_TTL_MS = 1000;

  /**
   * How long an instance trusts an API key it looked up before looking again; the instance that revokes a
   * key forgets it at once, other instances within this. 0 looks on every request.
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  API_KEY_CHECK_TTL_MS = 1000;

  /** How often each instance looks for pending erasures; 0 runs no erasure worker in this instance. */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  ERASURE_INTERVAL_MS = 5000;

  /** Soft-deleted sessions are purged for good this many days after their deletion (0: at the next run). */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(36_500)
  CHAT_SESSION_CLEANUP_DAYS = 30;

  /** Inactive sessions whose last message is older are deleted or anonymized (RETENTION_MODE); unset keeps them. */
  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(36_500)
  CHAT_INACTIVE_RETENTION_DAYS?: number;

  @IsIn(RETENTION_MODES)
  RETENTION_MODE: (typeof RETENTION_MODES)[number] = 'anonymize';

  /** When the retention job runs: a cron expression (UTC), or `off`/`0` for none in this instance (checked in validateEnv). */
  @IsString()
  @IsNotEmpty()
  RETENTION_SCHEDULE = '0 * * * *';

  /** Sessions one retention batch purges or deletes, or messages it anonymizes, in one short transaction. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  RETENTION_BATCH_SIZE = 1000;

  @IsString()
  @IsNotEmpty()
  DATA_DIR = './.data';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_ISSUER = 'chat-history-service';

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_AUDIENCE = 'chat-history-api';

  @toInt()
  @IsInt()
  @Min(30)
  @Max(86_400)
  JWT_ACCESS_TTL_SECONDS = 900;

  @toInt()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  JWT_REFRESH_TTL_SECONDS = 2_592_000;

  @IsOptional()
  @IsString()
  @MaxLength(254)
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  ADMIN_PASSWORD?: string;

  @toInt()
  @IsInt()
  @Min(0)
  @Max(100_000)
  AUTH_RATE_LIMIT_PER_MINUTE = 60;

  @IsIn(AUTH_MODES)
  AUTH_MODE: (typeof AUTH_MODES)[number] = 'local';

  /**
   * The `iss` every external token must carry; also where discovery finds the JWKS when OIDC_JWKS_URI is
   * unset, and the provider whose subjects X-On-Behalf-Of may name (user_identities.issuer).
   */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'OIDC_ISSUER must be an http(s) URL' })
  @MaxLength(512)
  OIDC_ISSUER?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'OIDC_JWKS_URI must be an http(s) URL' })
  OIDC_JWKS_URI?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  OIDC_AUDIENCE?: string;

  @toList()
  @IsIn(OIDC_ASYMMETRIC_ALGORITHMS, {
    each: true,
    message: `OIDC_ALGORITHMS must list algorithms among ${OIDC_ASYMMETRIC_ALGORITHMS.join(', ')} (HS256 comes with OIDC_HS256_SECRET)`,
  })
  OIDC_ALGORITHMS: (typeof OIDC_ASYMMETRIC_ALGORITHMS)[number][] = ['RS256', 'ES256'];

  /** Shared secret of a provider that signs HS256 (Supabase's legacy JWT secret). */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'OIDC_HS256_SECRET must be at least 32 characters long' })
  OIDC_HS256_SECRET?: string;

  /** Dotted path of the display-name claim, e.g. `user_metadata.full_name` (Supabase). */
  @IsString()
  @Matches(/^[\w-]+(\.[\w-]+)*$/, { message: 'OIDC_NAME_CLAIM must be a dotted claim path' })
  OIDC_NAME_CLAIM = 'name';

  /** Dotted path of the roles claim, e.g. `realm_access.roles` (Keycloak); unset: roles are managed here. */
  @IsOptional()
  @IsString()
  @Matches(/^[\w-]+(\.[\w-]+)*$/, { message: 'OIDC_ROLES_CLAIM must be a dotted claim path' })
  OIDC_ROLES_CLAIM?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  OIDC_ADMIN_ROLE = 'admin';

  /** After a JWKS fetch, how long an unknown `kid` is refused without fetching again (bounds refetches). */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  OIDC_JWKS_COOLDOWN_MS = 30_000;

  /** How long fetched keys are used before the JWKS is fetched again (so removed keys stop verifying). */
  @toInt()
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  OIDC_JWKS_MAX_AGE_MS = 600_000;

  @toTrustProxy()
  @IsTrustProxy()
  TRUST_PROXY: TrustProxy = false;

  @toInt()
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  BODY_LIMIT = 1_048_576;

  /** POST /users/me/import reads its body as a stream, under this limit instead of BODY_LIMIT. */
  @toInt()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024 * 1024)
  IMPORT_MAX_BYTES = 268_435_456;

  /** One imported conversation (its NDJSON lines, or one ChatGPT conversation as JSON text) is held whole; this bounds it. */
  @toInt()
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  IMPORT_MAX_CONVERSATION_BYTES = 16_777_216;

  // Shape limits of a JSON body, measured on its text before it is parsed (see common/validation/json-shape.ts).
  @toInt()
  @IsInt()
  @Min(2)
  @Max(1000)
  BODY_MAX_DEPTH = 32;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BODY_MAX_KEYS = 1000;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BODY_MAX_ARRAY_LENGTH = 1000;

  @toInt()
  @IsInt()
  @Min(10)
  @Max(10_000_000)
  BODY_MAX_NODES = 5000;

  /** Deepest row `page` mode of message search reaches; beyond it clients page by cursor. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SEARCH_MAX_PAGE_DEPTH = 1000;

  /** The same for a session's message history (`page` mode walks the index past every skipped message). */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HISTORY_MAX_PAGE_DEPTH = 5000;

  /** The same for the session list. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SESSIONS_MAX_PAGE_DEPTH = 5000;

  /**
   * Message search counts and ranks matches exactly up to this many; beyond, the total is an estimate and
   * hits come newest first (ranking or counting them all would read every match).
   */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  SEARCH_EXACT_TOTAL_LIMIT = 1000;

  /**
   * With a `metadata` filter, the session list and a history count their matches exactly up to this many;
   * beyond, `total` is the planner's estimate (at least this + 1) and `total_is_estimate` says so.
   */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  METADATA_EXACT_TOTAL_LIMIT = 1000;

  @toList()
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @toInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @toList()
  @IsString({ each: true })
  @Matches(AGENT_TYPE, { each: true, message: 'AGENT_TYPES must be lower_snake_case names' })
  AGENT_TYPES: string[] = ['primary', 'log_analysis', 'research', 'router'];

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  MAX_SESSIONS_PER_AGENT = 5;

  @toLimitMap()
  @IsObject({ message: 'SESSION_LIMITS must look like router:10,log_analysis:3' })
  SESSION_LIMITS: Record<string, number> = {};

  @IsIn(SESSION_LIMIT_POLICIES)
  SESSION_LIMIT_POLICY: (typeof SESSION_LIMIT_POLICIES)[number] = 'evict_oldest';

  @toInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CHAT_TITLE_MAX_LENGTH = 255;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  CHAT_MESSAGE_MAX_LENGTH = 10_000;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CHAT_DEFAULT_PAGE_SIZE = 10;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CHAT_MAX_PAGE_SIZE = 100;

  @IsString()
  @Matches(/^[a-z_]+$/, { message: 'SEARCH_LANGUAGE must be a PostgreSQL text search configuration name' })
  SEARCH_LANGUAGE = 'english';

  @IsOptional()
  @toInt()
  @IsInt()
  @Min(0)
  DEFAULT_DAILY_TOKEN_LIMIT?: number;

  @IsOptional()
  @toInt()
  @IsInt()
  @Min(0)
  DEFAULT_DAILY_MESSAGE_LIMIT?: number;

  @IsIn(LLM_PROVIDERS)
  LLM_PROVIDER: (typeof LLM_PROVIDERS)[number] = 'echo';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'LLM_BASE_URL must be an http(s) URL' })
  LLM_BASE_URL?: string;

  @IsOptional()
  @IsString()
  LLM_API_KEY?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  LLM_MODEL?: string;

  @toInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  LLM_TIMEOUT_MS = 60_000;

  @toJson()
  @IsObject({ message: 'AGENT_SYSTEM_PROMPTS must be a JSON object keyed by agent type' })
  AGENT_SYSTEM_PROMPTS: Record<string, string> = {};

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CHAT_CONTEXT_MESSAGES = 50;

  @toInt()
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  CHAT_CONTEXT_MAX_CHARS = 24_000;

  @toInt()
  @IsInt()
  @Min(10)
  @Max(300_000)
  CHAT_HEARTBEAT_MS = 15_000;

  // Load shedding and model-call cost control (one connection per request, fair shares per user).
  @toInt()
  @IsInt()
  @Min(0)
  @Max(10_000)
  PER_USER_CONCURRENCY = 8;

  @toInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  PER_USER_QUEUE_MS = 2000;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(600_000)
  DATABASE_LOCK_TIMEOUT_MS = 2000;

  /** How long a request may wait for a free pooled connection (DATABASE_CONNECT_TIMEOUT_MS bounds a new one). */
  @toInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_POOL_QUEUE_MS = 10_000;

  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  UV_THREADPOOL_SIZE?: number;

  /** Default: the libuv pool size (UV_THREADPOOL_SIZE, 4) minus one, so file and DNS work keep a thread. */
  @IsOptional()
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  PASSWORD_HASH_CONCURRENCY?: number;

  @toInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  PASSWORD_HASH_QUEUE_MS = 30_000;

  @toList()
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  LLM_MODELS: string[] = [];

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  LLM_MAX_OUTPUT_TOKENS = 1024;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CHAT_MAX_CONCURRENT_PER_USER = 4;

  @toBool()
  @IsBoolean()
  CHAT_CONTEXT_CLIENT_SYSTEM = false;
}

/** The validated, typed configuration. Readonly so no module can change another's view of it. */
export type Env = Readonly<EnvironmentVariables>;

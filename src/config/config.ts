import { existsSync } from 'node:fs';
import { z } from 'zod';
import { KeyRing } from '../crypto/key-ring';
import { logger } from '../observability/logger';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration given as `250ms`, `30s`, `5m`, `2h`, `1d` or a bare number of milliseconds. */
export const durationSchema = z.string().trim().transform((text, ctx) => {
  const match = DURATION.exec(text);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 500ms, 30s, 5m, 2h` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS]);
});

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** An IANA time zone name that this Node's Intl knows, such as UTC or Europe/Berlin. */
const timeZone = z
  .string()
  .trim()
  .min(1)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false; // RangeError: the one way Intl says the zone is unknown
    }
  }, 'is not an IANA time zone such as UTC or Europe/Berlin');

/** smtp://user:pass@host:587 or smtps://user:pass@host:465 (nodemailer's connection URL). */
const smtpUrl = optionalText.refine(
  (text) => text === undefined || (URL.canParse(text) && /^smtps?:$/.test(new URL(text).protocol) && new URL(text).hostname !== ''),
  'must be an smtp:// or smtps:// URL with a host, such as smtp://user:pass@mail.example.com:587',
);

/** `Name <address@domain>` or a bare `address@domain`. */
const mailbox = z
  .string()
  .trim()
  .regex(/^(?:[^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/, 'must be an address such as "Recho <alerts@example.com>" or alerts@example.com');

const keyList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((key) => key.trim()).filter(Boolean))
  .refine((keys) => keys.every((key) => key.length >= 16), 'each key needs at least 16 characters');

/** A key ring, `id:base64key[,id:base64key…]` (the first encrypts); checked here, parsed where it is used. */
const keyRingText = optionalText.superRefine((text, ctx) => {
  if (text === undefined) return;
  try {
    KeyRing.parse(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; generate a key with npm run secrets -- generate-key` });
  }
});

/** Requests per second: `100/s`, `6000/m`, `off` (0). */
const rateLimit = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (text === 'off') return 0;
    const match = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)$/.exec(text);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a rate such as 100/s, 6000/m or off` });
      return z.NEVER;
    }
    return Number(match[1]) / { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  });

/** A cron expression of 5 fields (6 with seconds first), or `@hourly`, `@daily`… */
const CRON = /^(?:@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)|(?:\S+\s+){4,5}\S+)$/;

/** When a Temporal Schedule fires: an interval (`1h`, `30m`; a minute at least) or a cron expression (`15 * * * *`, UTC). */
const scheduleTiming = z
  .string()
  .trim()
  .transform((text, ctx): { everyMs: number } | { cron: string } => {
    if (CRON.test(text)) return { cron: text.replace(/\s+/g, ' ') };
    const every = durationSchema.safeParse(text);
    if (!every.success || every.data < 60_000) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is neither an interval of a minute or more (1h, 30m) nor a cron expression such as "15 * * * *"` });
      return z.NEVER;
    }
    return { everyMs: every.data };
  });

/** A client's payload retention (CLIENT_PAYLOAD_RETENTION): its calls' content is erased this long after their last event. */
export interface ClientPayloadRetention {
  clientId: string;
  retentionMs: number;
}

/** `client-a=7d,client-b=12h`: per client, a duration as the others (a minute at least). Each client once. */
const clientRetentions = z
  .string()
  .optional()
  .transform((text, ctx): ClientPayloadRetention[] => {
    const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    const seen = new Set<string>();
    const result: ClientPayloadRetention[] = [];
    for (const entry of entries) {
      const equals = entry.lastIndexOf('=');
      const clientId = entry.slice(0, equals).trim();
      const duration = durationSchema.safeParse(entry.slice(equals + 1));
      if (equals <= 0 || clientId === '' || !duration.success || duration.data < 60_000) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not client=duration with a duration of a minute or more, such as client-a=7d` });
        continue;
      }
      if (seen.has(clientId)) ctx.addIssue({ code: 'custom', message: `client ${clientId} is given twice` });
      seen.add(clientId);
      result.push({ clientId, retentionMs: duration.data });
    }
    return result;
  });

/** How often a frequent Temporal Schedule fires: an interval of a second or more (`1m`, `30s`), or `off` (no schedule). */
const intervalOrOff = z
  .string()
  .trim()
  .transform((text, ctx): number | 'off' => {
    if (text === 'off') return 'off';
    const every = durationSchema.safeParse(text);
    if (!every.success || every.data < 1_000) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is neither an interval of a second or more (1m, 30s) nor off` });
      return z.NEVER;
    }
    return every.data;
  });

function isHttpUrl(text: string | undefined): boolean {
  return text === undefined || (URL.canParse(text) && /^https?:$/.test(new URL(text).protocol));
}

export const configSchema = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  DATABASE_URL: optionalText,
  EMBEDDED_PG_PORT: port.default(5433),
  DATA_DIR: z.string().default('.data'),
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('callhook'),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_UI_PORT: port.default(8233),
  /** The Temporal Web UI's address, for links to a call's workflow (the Webhooks page); default: the dev server's UI. */
  TEMPORAL_UI_URL: optionalText.refine(
    (text) => text === undefined || (URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)),
    'must be an http:// or https:// URL, such as http://localhost:8233',
  ),
  TEMPORAL_DEV_PORT: port.default(7233),
  RETRY_INITIAL_INTERVAL: durationSchema.default(30_000),
  RETRY_BACKOFF_COEFFICIENT: z.coerce.number().min(1).max(100).default(4),
  RETRY_MAX_INTERVAL: durationSchema.default(4 * 3_600_000),
  RETRY_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(6),
  RETRY_AFTER_MAX: durationSchema.default(3_600_000),
  DELIVERY_ATTEMPT_TIMEOUT: durationSchema.default(10_000),
  RESPONSE_EXCERPT_BYTES: z.coerce.number().int().min(0).max(65_536).default(2048),
  CALL_IDLE_TIMEOUT: durationSchema.default(10 * 60_000),
  CALL_ABANDON_TIMEOUT: durationSchema.default(24 * 3_600_000),
  /** An endpoint whose every delivery has failed for this long is disabled (a WEBHOOK_ENDPOINT_DISABLED event tells its client); `off`: never. */
  ENDPOINT_DISABLE_AFTER: z.preprocess((v) => (v === 'off' ? '0' : v), durationSchema).default(5 * 86_400_000),
  /** The circuit breaker opens when this many calls have failed on an endpoint since its last success; 0: no breaker. */
  CIRCUIT_BREAKER_CALLS: z.coerce.number().int().min(0).max(1000).default(5),
  /** How long an open circuit sends nothing before one probe may go. */
  CIRCUIT_BREAKER_COOLDOWN: durationSchema.pipe(z.number().min(100, 'must be at least 100ms')).default(60_000),
  /** Delivery payloads, attempts and events whose deliveries ended longer ago are purged (a Temporal Schedule); at least 1 h. */
  RETENTION: durationSchema.pipe(z.number().min(3_600_000, 'must be at least 1h')).default(30 * 86_400_000),
  /** When the retention schedule runs: an interval or a cron expression. */
  RETENTION_SCHEDULE: scheduleTiming.default({ everyMs: 3_600_000 }),
  /** Per client, how long after a call's last event its content is erased (each shorter than RETENTION): `client-a=7d,client-b=12h`. */
  CLIENT_PAYLOAD_RETENTION: clientRetentions,
  /** How often the reconciler (a Temporal Schedule) starts the workflow of calls with deliveries left in Postgres and none running; `off`: never. */
  RECONCILE_EVERY: intervalOrOff.default(60_000),
  /** How long past due a lane's next delivery (or how long ago a failure without its notice) must be before the reconciler looks at its call. */
  RECONCILE_GRACE: durationSchema.default(60_000),
  ALLOW_HTTP_URLS: bool.optional(),
  ALLOW_PRIVATE_NETWORKS: bool.optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(262_144),
  BRAND_NAME: z.string().trim().min(1).max(100).default('Recho'),
  TIME_ZONE: timeZone.default('UTC'),
  SMTP_URL: smtpUrl,
  EMAIL_FROM: mailbox.optional(),
  SIGNING_KEY_PEM: optionalText,
  SIGNING_KEY_FILE: optionalText,
  SIGNING_KEY_PREVIOUS_PUBLIC_PEM: optionalText,
  SIGNING_KEY_OVERLAP: durationSchema.default(24 * 3_600_000),
  HMAC_SECRET_OVERLAP: durationSchema.default(24 * 3_600_000),
  TEMPORAL_METRICS_ADDRESS: z
    .string()
    .trim()
    .regex(/^(off|[\w.-]+:\d+)$/, 'give host:port, or off')
    .default('127.0.0.1:9464'),
  WORKER_METRICS_PORT: port.default(9091),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(1000).default(20),
  /** Events accepted but not yet signalled to Temporal (it is unreachable, or slow) at which the API answers 503 instead of 202. */
  OUTBOX_MAX_PENDING: z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  /** How often each API process's outbox relay looks for events it was not told of (another process's, one that died). */
  OUTBOX_POLL: durationSchema.default(1_000),
  /** true: events of types the catalog does not have are accepted (delivered to `*` subscribers) rather than refused. */
  CATALOG_ALLOW_UNKNOWN_TYPES: bool.default(false),
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** The workflows' bookkeeping activities a worker runs at once, each on a Postgres connection of its own (a pool this size). */
  WORKER_BOOKKEEPING_SLOTS: z.coerce.number().int().min(1).max(1_000).default(10),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  /** on: every /v1 request needs a key; off: the API is open (a private network only). Unset: on in production, or when any key exists. */
  AUTH: z.enum(['on', 'off']).optional(),
  /** Keys that act for every client (operators, platform services). */
  ADMIN_API_KEYS: keyList,
  /** The older name of ADMIN_API_KEYS; still read, with a warning at start. */
  API_KEYS: keyList,
  /** Encrypts endpoint secrets and Slack/Teams urls in Postgres; unset outside production: a key generated in DATA_DIR. */
  SECRETS_ENCRYPTION_KEYS: keyRingText,
  /** Encrypts call payloads in Temporal history (a payload codec); unset: payloads are stored as JSON. */
  PAYLOAD_ENCRYPTION_KEY: keyRingText,
  /** Origins allowed to call the codec endpoint from a browser (the Temporal Web UI); default: the dev server's UI. */
  CODEC_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((o) => o.trim()).filter(Boolean))),
  /** Origins that may frame the Webhooks page (portal links embedded in a platform's dashboard), comma-separated; none unless given. */
  PORTAL_FRAME_ANCESTORS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? [] : v.split(',').map((o) => o.trim()).filter(Boolean)))
    .pipe(z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'each origin as https://host[:port], comma-separated'))),
  /** The page's public address, for the URLs of portal links (https://webhooks.example.com); the address a request came to when unset. */
  PORTAL_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Requests per key: `100/s`, `6000/m` or `off`. */
  RATE_LIMIT_CLIENT_KEY: rateLimit.default(100),
  RATE_LIMIT_ADMIN_KEY: rateLimit.default(0),
  MAX_ENDPOINTS_PER_CLIENT: z.coerce.number().int().min(1).max(100_000).default(100),
  /** OpenTelemetry traces (OTLP over HTTP, JSON): the collector's base URL (`/v1/traces` is appended), or the traces URL itself; unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.refine(isHttpUrl, 'must be an http:// or https:// URL, such as http://localhost:4318'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText.refine(isHttpUrl, 'must be an http:// or https:// URL, such as http://localhost:4318/v1/traces'),
  OTEL_SERVICE_NAME: optionalText,
  /** `true` turns tracing off whatever else is set (as OTEL_TRACES_EXPORTER=none does). */
  OTEL_SDK_DISABLED: optionalText,
  OTEL_TRACES_EXPORTER: optionalText,
  /** Only OTLP over HTTP with JSON bodies is exported; another protocol is refused rather than silently ignored. */
  OTEL_EXPORTER_OTLP_PROTOCOL: optionalText.refine((v) => v === undefined || v === 'http/json', 'callhook exports OTLP over HTTP with JSON bodies: set http/json, or leave it unset'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalText.refine((v) => v === undefined || v === 'http/json', 'callhook exports OTLP over HTTP with JSON bodies: set http/json, or leave it unset'),
  /** Log lines: `pretty` (human-readable) or `json`; unset: pretty when stdout is a terminal, JSON lines otherwise (read by src/logger.ts). */
  LOG_FORMAT: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['pretty', 'json']).optional()),
});

export type Config = z.infer<typeof configSchema> & { ALLOW_HTTP_URLS: boolean; ALLOW_PRIVATE_NETWORKS: boolean; EMAIL_FROM: string; TEMPORAL_UI_URL: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration from the environment (and `.env`, where present). A bad value fails with a
 * message naming the variable, before anything starts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A `.env` in the working directory fills in what the environment does not set.
  if (env === process.env && existsSync('.env')) {
    process.loadEnvFile('.env');
    // The logger was made before `.env` was read: a LOG_LEVEL given there applies from here on.
    if (process.env.LOG_LEVEL) logger.level = process.env.LOG_LEVEL;
  }
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.SIGNING_KEY_PEM !== undefined && config.SIGNING_KEY_FILE !== undefined) {
    throw new ConfigError('invalid configuration:\n  SIGNING_KEY_PEM, SIGNING_KEY_FILE: give the signing key one way, not both');
  }
  const tooLong = config.CLIENT_PAYLOAD_RETENTION.filter((c) => c.retentionMs >= config.RETENTION);
  if (tooLong.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  CLIENT_PAYLOAD_RETENTION: ${tooLong.map((c) => c.clientId).join(', ')}: a client's payload retention must be shorter than RETENTION (${config.RETENTION} ms), which purges everything sooner`,
    );
  }
  if (config.NODE_ENV === 'production' && config.SECRETS_ENCRYPTION_KEYS === undefined) {
    throw new ConfigError(
      'invalid configuration:\n  SECRETS_ENCRYPTION_KEYS: required in production (endpoint secrets are encrypted with it); generate one with npm run secrets -- generate-key',
    );
  }
  return {
    ...config,
    ALLOW_HTTP_URLS: config.ALLOW_HTTP_URLS ?? config.NODE_ENV !== 'production',
    ALLOW_PRIVATE_NETWORKS: config.ALLOW_PRIVATE_NETWORKS ?? config.NODE_ENV !== 'production',
    EMAIL_FROM: config.EMAIL_FROM ?? `${displayName(config.BRAND_NAME)} <no-reply@localhost>`,
    TEMPORAL_UI_URL: (config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
  };
}

/** The brand as an address's display name: as it is when plain, else quoted (a comma would split the address). */
function displayName(name: string): string {
  return /^[\p{L}\p{N} ._-]+$/u.test(name) ? name : `"${name.replace(/["\\]/g, '')}"`;
}

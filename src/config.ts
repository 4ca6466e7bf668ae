import { z } from 'zod';

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
  ALLOW_HTTP_URLS: bool.optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(262_144),
});

export type Config = z.infer<typeof configSchema> & { ALLOW_HTTP_URLS: boolean };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration from the environment. A bad value fails with a
 * message naming the variable, before anything starts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  return { ...config, ALLOW_HTTP_URLS: config.ALLOW_HTTP_URLS ?? config.NODE_ENV !== 'production' };
}

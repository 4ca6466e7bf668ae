/**
 * What a custom endpoint's receiver may ask for beyond authentication: headers of its own, a
 * retry schedule of its own, and a client certificate (mutual TLS). Each has an INPUT form (what
 * POST / PATCH take) and a STORED form (what the database holds, secrets opened).
 */
import { z } from 'zod';

// ---- custom headers

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_HEADER_VALUE_LENGTH = 1024;

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the HTTP client sets from the request itself. */
const FORBIDDEN_HEADER_NAMES = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
]);
/** Prefixes of the headers callhook sets itself: ids, attempt, signatures (seeds' x-recho-*, Standard Webhooks' webhook-*). */
const CALLHOOK_HEADER_PREFIXES = ['x-recho-', 'webhook-'];

/** Why a header name may not be set by an endpoint; undefined when it may. */
export function refusedHeaderName(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (FORBIDDEN_HEADER_NAMES.has(lower)) return `${name} is set by the HTTP client (hop-by-hop, Host, Content-Length or Content-Type); it cannot be set`;
  const prefix = CALLHOOK_HEADER_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) return `${prefix}* headers are callhook's own (ids and signatures); they cannot be set`;
  return undefined;
}

/** An RFC 9110 field name (a token). */
const headerNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)')
  .superRefine((name, ctx) => {
    const why = refusedHeaderName(name);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

/** Visible ASCII, spaces and tabs inside: what every HTTP stack carries unchanged. */
const headerValueSchema = z
  .string()
  .min(1)
  .max(MAX_HEADER_VALUE_LENGTH)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/, 'must be visible ASCII (spaces and tabs only inside), with no line breaks');

/** Names must not repeat, whatever their case. */
function uniqueNames(headers: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  headers.forEach(({ name }, index) => {
    const lower = name.toLowerCase();
    const first = seen.get(lower);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `repeats header ${first} (names are case-insensitive)` });
    else seen.set(lower, index);
  });
}

/**
 * Input: a header sent with every request. `secret`: encrypted at rest and shown as a hint only;
 * on an update, a secret header given without `value` keeps the value it has.
 */
export const customHeaderInputSchema = z
  .object({
    name: headerNameSchema,
    value: headerValueSchema.optional().describe('required, except for a secret header that keeps its current value on an update'),
    secret: z.boolean().optional().describe('encrypted at rest, shown only as a hint'),
  })
  .strict();
export const customHeadersInputSchema = z.array(customHeaderInputSchema).max(MAX_CUSTOM_HEADERS).superRefine(uniqueNames);
export type CustomHeaderInput = z.infer<typeof customHeaderInputSchema>;

/** Stored: every value present. */
export const customHeaderSchema = z.object({ name: headerNameSchema, value: headerValueSchema, secret: z.boolean() }).strict();
export const customHeadersSchema = z.array(customHeaderSchema).max(MAX_CUSTOM_HEADERS).superRefine(uniqueNames);
export type CustomHeader = z.infer<typeof customHeaderSchema>;

/**
 * The stored headers an input list gives: a secret header without a value keeps the current
 * one of that name (case-insensitive). Problems name the index of the header.
 */
export function resolveHeaders(
  input: readonly CustomHeaderInput[],
  current: readonly CustomHeader[],
): { ok: true; headers: CustomHeader[] } | { ok: false; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = [];
  const headers: CustomHeader[] = [];
  input.forEach((header, index) => {
    const secret = header.secret ?? false;
    if (header.value !== undefined) return void headers.push({ name: header.name, value: header.value, secret });
    const kept = current.find((c) => c.secret && c.name.toLowerCase() === header.name.toLowerCase());
    if (secret && kept) return void headers.push({ name: header.name, value: kept.value, secret });
    problems.push({
      path: `headers.${index}.value`,
      message: secret ? `is needed: the endpoint has no secret header ${header.name} to keep` : 'is needed (only a secret header may omit it, to keep its value)',
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, headers };
}

// ---- retry schedule

export const MAX_SCHEDULED_ATTEMPTS = 10;
export const MIN_RETRY_DELAY_MS = 1_000;
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;
export const MAX_RETRY_SCHEDULE_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * An endpoint's own retry schedule: the delay before each retry, in order. `[]` disables retries
 * (one attempt); `[1000, 5000]`: two retries, 1 s and then 5 s after the failures. A receiver's
 * Retry-After (429, 503) still sets the delay it asks for, up to RETRY_AFTER_MAX.
 */
export const retryScheduleSchema = z
  .object({
    delaysMs: z
      .array(z.int().min(MIN_RETRY_DELAY_MS).max(MAX_RETRY_DELAY_MS))
      .max(MAX_SCHEDULED_ATTEMPTS - 1, `at most ${MAX_SCHEDULED_ATTEMPTS - 1} retries (${MAX_SCHEDULED_ATTEMPTS} attempts in all)`)
      .refine((delays) => delays.reduce((sum, d) => sum + d, 0) <= MAX_RETRY_SCHEDULE_MS, 'the delays must add up to 3 days at the most')
      .describe('the delay before each retry, in ms (1 s to 1 day each); [] disables retries'),
  })
  .strict();
export type RetrySchedule = z.infer<typeof retryScheduleSchema>;

// ---- mutual TLS

const PEM_MAX = 64 * 1024;
/** PEM is ASCII text (RFC 7468). */
const pem = () => z.string().min(1).max(PEM_MAX).regex(/^[\t\n\r\x20-\x7e]+$/, 'must be PEM text (ASCII)');

/** Input and stored: a client certificate (PEM, leaf first) and its unencrypted key, and optionally the CAs to trust for the receiver. */
export const clientTlsSchema = z
  .object({
    certificate: pem().describe('PEM: the client certificate, then any intermediates'),
    privateKey: pem().describe('PEM, unencrypted (PKCS#8, PKCS#1 or SEC1); encrypted at rest'),
    ca: pem().optional().describe('PEM: the CAs to trust for the receiver\'s certificate, instead of the public ones'),
  })
  .strict();

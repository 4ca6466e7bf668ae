/**
 * `callhook/verify`: checks, in a receiver, that a request really comes from callhook.
 *
 * One function per way callhook signs a custom endpoint's deliveries:
 * - {@link verifyRsa}: `auth: {"type":"rsa"}`, the seeds' FastAPI receiver (x-recho-signature);
 * - {@link verifyStandardWebhook}: `auth: {"type":"hmac"}`, Standard Webhooks (webhook-signature);
 * - {@link verifyHexHmac}: `auth: {"type":"hmac-hex"}`, the OutRival / Recover receivers (x-signature).
 *
 * Always verify the raw bytes of the body, as received, before any JSON parsing: a body parsed
 * and serialized again is not the string that was signed. With Express, use
 * `express.raw({ type: 'application/json' })` on the webhook route (not `express.json()`), and
 * `JSON.parse(req.body)` after the check. With fetch-style handlers, use `await request.arrayBuffer()`
 * (or `request.text()`).
 *
 * Each function returns `{ ok: true, … }` or `{ ok: false, reason }` with a plain reason
 * ("missing header x-recho-signature", "signature does not match"); nothing the request carries
 * makes it throw. It throws a TypeError only when it is called wrongly (no secret, a key that is
 * no RSA public key, a parsed JSON object as the body). Signatures are compared in constant time.
 *
 * Dependency-free (node:crypto only), usable without the rest of callhook.
 */
import { createHmac, createPublicKey, KeyObject, timingSafeEqual, verify as verifySignature, constants } from 'node:crypto';

// ───────────────────────────── shared types ─────────────────────────────

/**
 * The request's headers: Node's `req.headers` (IncomingHttpHeaders: lowercase names, a string or
 * an array of strings each), any such record (names matched case-insensitively), or a WHATWG
 * `Headers` (fetch, undici, Next.js, Hono…). A header given several times (an array) is read as
 * its values joined with ", ", as Node and `Headers.get` join repeated headers.
 */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The raw request body, exactly as received: a Buffer (express.raw), a Uint8Array or an
 * ArrayBuffer (`await request.arrayBuffer()`), or a string (read as its UTF-8 bytes).
 */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** A request that does not verify, and why, in plain words. */
export interface VerificationFailure {
  ok: false;
  reason: string;
}

export type RsaVerification =
  | {
      ok: true;
      /** x-recho-timestamp, Unix seconds. */
      timestamp: number;
      /**
       * The id of the key that verified: with a key map, its key; with a single key, the
       * x-recho-key-id header as sent (not covered by the signature), if any.
       */
      keyId?: string;
    }
  | VerificationFailure;

export type StandardWebhookVerification =
  | {
      ok: true;
      /** webhook-id: callhook's event id, the same on every retry (deduplicate by it). */
      eventId: string;
      /** webhook-timestamp, Unix seconds. */
      timestamp: number;
    }
  | VerificationFailure;

export type HexHmacVerification = { ok: true } | VerificationFailure;

export type VerificationResult = RsaVerification | StandardWebhookVerification | HexHmacVerification;

/** Thrown by {@link assertVerified}; `reason` is the failure's reason. */
export class WebhookVerificationError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`webhook verification failed: ${reason}`);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/**
 * Throws a {@link WebhookVerificationError} unless the result is ok; narrows it otherwise.
 *
 * @example
 * app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
 *   try { assertVerified(verifyRsa({ body: req.body, headers: req.headers, publicKeys: PEM })); }
 *   catch (err) { return res.status(401).send((err as Error).message); }
 *   handle(JSON.parse(req.body.toString('utf8'))); res.sendStatus(200);
 * });
 */
export function assertVerified<T extends VerificationResult>(result: T): asserts result is Extract<T, { ok: true }> {
  if (!result.ok) throw new WebhookVerificationError(result.reason);
}

/** Five minutes either way, as the seeds' FastAPI receiver and the standardwebhooks package allow. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export const RSA_HEADER_NAMES = {
  timestamp: 'x-recho-timestamp',
  signature: 'x-recho-signature',
  keyId: 'x-recho-key-id',
} as const;

export const STANDARD_WEBHOOK_HEADER_NAMES = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export const DEFAULT_HEX_HMAC_HEADER = 'x-signature';

// ───────────────────────────── RSA ─────────────────────────────

export interface VerifyRsaOptions {
  /** The raw body, before JSON parsing. */
  body: WebhookBody;
  headers: WebhookHeaders;
  /**
   * callhook's public key: the PEM of `GET /v1/signing-key` (recho_public_key.pem), or, to
   * follow key rotations, a record key id → PEM of the keys of `GET /v1/signing-keys`
   * (`Object.fromEntries(data.map((k) => [k.id, k.publicKeyPem]))`). KeyObjects are taken too.
   * With a record, the request's x-recho-key-id picks the key (an id not in it fails with
   * "unknown key id …"); a request without one is tried with each key.
   */
  publicKeys: string | KeyObject | Readonly<Record<string, string | KeyObject>>;
  /** How far x-recho-timestamp may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The current time; default `new Date()`. */
  now?: Date;
}

/**
 * Verifies an rsa delivery as the seeds' FastAPI receiver does: x-recho-timestamp within
 * `toleranceSeconds` of now (`abs(time.time() - int(timestamp)) > 300` fails), then
 * x-recho-signature, base64 RSA-SHA256 PKCS#1 v1.5 over `"{x-recho-timestamp}.{raw body}"`, with
 * the public key. It accepts what that receiver accepts: the timestamp as Python's `int()` reads
 * it (and signed as the header's text); a body that is valid UTF-8 (the receiver decodes it
 * first); the signature as padded standard base64.
 *
 * @example
 * const PEM = fs.readFileSync('recho_public_key.pem', 'utf8'); // GET /v1/signing-key
 * app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
 *   const result = verifyRsa({ body: req.body, headers: req.headers, publicKeys: PEM });
 *   if (!result.ok) return res.status(401).json({ detail: result.reason });
 *   handle(JSON.parse(req.body.toString('utf8'))); res.json({ ok: true });
 * });
 */
export function verifyRsa(options: VerifyRsaOptions): RsaVerification {
  const opts = requireOptions(options, 'verifyRsa');
  const keys = rsaKeys(opts.publicKeys);
  const { tolerance, nowMs, read, body } = timedRequestOf(opts, 'verifyRsa');

  const H = RSA_HEADER_NAMES;
  const timestampText = read(H.timestamp);
  const signatureText = read(H.signature);
  const keyIdHeader = read(H.keyId);
  // `if not timestamp`: an empty header is a missing one.
  if (!timestampText) return fail(`missing header ${H.timestamp}`);
  if (!signatureText) return fail(`missing header ${H.signature}`);
  if (body === undefined) return fail(NO_BODY);

  const timestamp = pythonInt(timestampText);
  if (timestamp === undefined) return fail(`header ${H.timestamp} is not an integer: ${quote(timestampText)}`);
  // time.time() is fractional: 300.4 s away is more than 300.
  const skew = Math.abs(nowMs / 1000 - timestamp);
  if (!(skew <= tolerance)) return fail(tooFar(timestamp, skew, tolerance));

  if (!isWellFormedUtf8(body)) return fail('body is not valid UTF-8');
  if (!PADDED_BASE64.test(signatureText)) return fail(`header ${H.signature} is not base64`);
  const signature = Buffer.from(signatureText, 'base64');
  // The header's own text, as the f-string uses it.
  const message = Buffer.concat([Buffer.from(`${timestampText}.`, 'utf8'), body]);

  let candidates: [string | undefined, KeyObject][];
  if (keys.single) {
    candidates = [[keyIdHeader || undefined, keys.single]];
  } else if (keyIdHeader) {
    const key = keys.byId.get(keyIdHeader);
    if (!key) return fail(`unknown key id ${keyIdHeader}`);
    candidates = [[keyIdHeader, key]];
  } else {
    candidates = [...keys.byId];
  }
  for (const [keyId, key] of candidates) {
    if (rsaVerifies(message, key, signature)) return keyId === undefined ? { ok: true, timestamp } : { ok: true, timestamp, keyId };
  }
  return fail('signature does not match');
}

function rsaVerifies(message: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verifySignature('sha256', message, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false; // the sample's `except Exception`
  }
}

type RsaKeys = { single: KeyObject; byId?: never } | { single?: never; byId: Map<string, KeyObject> };

function rsaKeys(publicKeys: VerifyRsaOptions['publicKeys']): RsaKeys {
  if (typeof publicKeys === 'string' || publicKeys instanceof KeyObject) return { single: rsaPublicKey(publicKeys, 'publicKeys') };
  if (typeof publicKeys !== 'object' || publicKeys === null || Array.isArray(publicKeys)) {
    throw new TypeError('verifyRsa: publicKeys must be a PEM string, a KeyObject, or a record of key id → PEM');
  }
  const entries = Object.entries(publicKeys);
  if (entries.length === 0) throw new TypeError('verifyRsa: publicKeys holds no key');
  // Every key is checked on every call, so a bad one fails whatever the request.
  return { byId: new Map(entries.map(([id, pem]) => [id, rsaPublicKey(pem, `publicKeys[${JSON.stringify(id)}]`)])) };
}

/** Parsed PEMs, so that a receiver passing the same PEM string on every request parses it once. */
const parsedKeys = new Map<string, KeyObject>();
const PARSED_KEYS_MAX = 64;

function rsaPublicKey(key: string | KeyObject, what: string): KeyObject {
  if (key instanceof KeyObject) {
    if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`verifyRsa: ${what} is not an RSA key`);
    return key.type === 'private' ? createPublicKey(key) : key;
  }
  if (typeof key !== 'string') throw new TypeError(`verifyRsa: ${what} must be a PEM string or a KeyObject`);
  const cached = parsedKeys.get(key);
  if (cached) return cached;
  let parsed: KeyObject;
  try {
    // A PEM kept in an environment variable often has literal "\n" for its line breaks.
    parsed = createPublicKey(key.includes('\n') ? key : key.replace(/\\n/g, '\n'));
  } catch (err) {
    throw new TypeError(`verifyRsa: ${what} is not a PEM public key: ${(err as Error).message}`);
  }
  if (parsed.asymmetricKeyType !== 'rsa') throw new TypeError(`verifyRsa: ${what} is a ${parsed.asymmetricKeyType ?? 'non-RSA'} key, not RSA`);
  if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.clear();
  parsedKeys.set(key, parsed);
  return parsed;
}

/**
 * What Python's `int(text)` accepts, for ASCII: surrounding whitespace, a sign, decimal digits
 * with single underscores between them. undefined when it would raise ValueError.
 */
function pythonInt(text: string): number | undefined {
  const match = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[2]!.replace(/_/g, ''));
  return match[1] === '-' ? -value : value;
}

// ───────────────────────────── Standard Webhooks ─────────────────────────────

export type VerifyStandardWebhookOptions = {
  /** The raw body, before JSON parsing. */
  body: WebhookBody;
  headers: WebhookHeaders;
  /** How far webhook-timestamp may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The current time; default `new Date()`. */
  now?: Date;
} & (
  | {
      /** The endpoint's secret, `whsec_<base64>` (the 201 of POST /v1/endpoints, or of rotate-secret). */
      secret: string;
      secrets?: never;
    }
  | {
      /** Several secrets: the request verifies if one of them signed it (while switching to a rotated secret). */
      secrets: readonly string[];
      secret?: never;
    }
);

/**
 * Verifies an hmac delivery, as the `standardwebhooks` package does: webhook-timestamp within
 * `toleranceSeconds` of now (whole seconds), then a `v1,<base64>` entry of webhook-signature (space
 * separated: during a secret rotation callhook sends one per secret) equal to the base64
 * HMAC-SHA256 of `"{webhook-id}.{webhook-timestamp}.{raw body}"`, keyed by the base64-decoded
 * part of `whsec_<base64>`.
 *
 * @example
 * const SECRET = process.env.CALLHOOK_WEBHOOK_SECRET!; // whsec_…
 * app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
 *   const result = verifyStandardWebhook({ body: req.body, headers: req.headers, secret: SECRET });
 *   if (!result.ok) return res.status(401).send(result.reason);
 *   handleOnce(result.eventId, JSON.parse(req.body.toString('utf8'))); res.sendStatus(204);
 * });
 */
export function verifyStandardWebhook(options: VerifyStandardWebhookOptions): StandardWebhookVerification {
  const opts = requireOptions(options, 'verifyStandardWebhook');
  const keys = webhookKeys(opts.secret, opts.secrets);
  const { tolerance, nowMs, read, body } = timedRequestOf(opts, 'verifyStandardWebhook');

  const H = STANDARD_WEBHOOK_HEADER_NAMES;
  const id = read(H.id);
  const timestampText = read(H.timestamp);
  const signatureText = read(H.signature);
  if (!id) return fail(`missing header ${H.id}`);
  if (!timestampText) return fail(`missing header ${H.timestamp}`);
  if (!signatureText) return fail(`missing header ${H.signature}`);
  if (body === undefined) return fail(NO_BODY);

  if (!/^\d{1,15}$/.test(timestampText)) return fail(`header ${H.timestamp} is not a Unix time in seconds: ${quote(timestampText)}`);
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor(nowMs / 1000);
  const skew = Math.abs(nowSeconds - timestamp);
  if (!(skew <= tolerance)) return fail(tooFar(timestamp, skew, tolerance));

  // Signed with the timestamp as a number (no leading zeros), as the package signs it.
  const message = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const expected = keys.map((key) => Buffer.from(createHmac('sha256', key).update(message).digest('base64'), 'utf8'));
  let v1 = false;
  for (const entry of signatureText.split(' ')) {
    // As the package reads an entry: the version, then the signature up to the next comma.
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || signature === undefined) continue;
    v1 = true;
    const given = Buffer.from(signature, 'utf8');
    // Every secret is compared, so the time taken does not tell which one matched.
    let match = false;
    for (const e of expected) match = constantTimeEqual(given, e) || match;
    if (match) return { ok: true, eventId: id, timestamp };
  }
  return fail(v1 ? 'signature does not match' : `header ${H.signature} has no v1 signature`);
}

function webhookKeys(secret: unknown, secrets: unknown): Buffer[] {
  if (secret !== undefined && secrets !== undefined) throw new TypeError('verifyStandardWebhook: give secret or secrets, not both');
  let list: unknown[];
  if (secret !== undefined) list = [secret];
  else if (Array.isArray(secrets)) list = secrets;
  else if (secrets === undefined) throw new TypeError('verifyStandardWebhook: no secret given (secret: "whsec_…", or secrets: [...])');
  else throw new TypeError('verifyStandardWebhook: secrets must be an array of "whsec_…" strings');
  if (list.length === 0) throw new TypeError('verifyStandardWebhook: secrets is empty');
  return list.map((s, i) => webhookKey(s, secret !== undefined ? 'secret' : `secrets[${i}]`));
}

/** The HMAC key of `whsec_<base64>` (a bare base64 secret is read the same, as the package does). */
function webhookKey(secret: unknown, what: string): Buffer {
  if (typeof secret !== 'string') throw new TypeError(`verifyStandardWebhook: ${what} must be a string ("whsec_…")`);
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (encoded === '' || !PADDED_BASE64.test(encoded)) throw new TypeError(`verifyStandardWebhook: ${what} is not "whsec_" followed by base64`);
  return Buffer.from(encoded, 'base64');
}

// ───────────────────────────── hex HMAC ─────────────────────────────

export interface VerifyHexHmacOptions {
  /** The raw body, before JSON parsing. */
  body: WebhookBody;
  headers: WebhookHeaders;
  /** The endpoint's hmac-hex secret, used as given: its UTF-8 bytes are the HMAC key. */
  secret: string;
  /** The header holding the signature: the endpoint's `auth.header`; default x-signature. */
  header?: string;
}

/**
 * Verifies an hmac-hex delivery as the OutRival and Recover receivers do: the header equals the
 * lowercase hex HMAC-SHA256 of the raw body, keyed by the secret's UTF-8 bytes (compared as text,
 * so an uppercase digest does not match, as in both samples). There is no timestamp: a captured
 * request can be replayed, so deduplicate by the body's `id`.
 *
 * @example
 * const SECRET = process.env.CALLHOOK_HMAC_SECRET!;
 * app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
 *   const result = verifyHexHmac({ body: req.body, headers: req.headers, secret: SECRET });
 *   if (!result.ok) return res.status(403).send(result.reason);
 *   handle(JSON.parse(req.body.toString('utf8'))); res.sendStatus(200);
 * });
 */
export function verifyHexHmac(options: VerifyHexHmacOptions): HexHmacVerification {
  const opts = requireOptions(options, 'verifyHexHmac');
  if (typeof opts.secret !== 'string' || opts.secret === '') throw new TypeError('verifyHexHmac: secret must be a non-empty string');
  if (opts.header !== undefined && (typeof opts.header !== 'string' || opts.header === '')) {
    throw new TypeError('verifyHexHmac: header must be a header name, such as x-signature');
  }
  const headerName = (opts.header ?? DEFAULT_HEX_HMAC_HEADER).toLowerCase();
  const { read, body } = requestOf(opts, 'verifyHexHmac');

  const signature = read(headerName);
  if (!signature) return fail(`missing header ${headerName}`);
  if (body === undefined) return fail(NO_BODY);
  const expected = Buffer.from(createHmac('sha256', Buffer.from(opts.secret, 'utf8')).update(body).digest('hex'), 'utf8');
  if (!constantTimeEqual(Buffer.from(signature, 'utf8'), expected)) return fail('signature does not match');
  return { ok: true };
}

// ───────────────────────────── shared helpers ─────────────────────────────

const NO_BODY = "no body: pass the raw request body (with express.raw({ type: 'application/json' }), a request of another content-type has none)";

/** Standard base64 with its padding: what callhook sends, and what Python's b64decode requires. */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(reason: string): VerificationFailure {
  return { ok: false, reason };
}

function tooFar(timestamp: number, skewSeconds: number, tolerance: number): string {
  return `timestamp ${timestamp} is ${Math.ceil(skewSeconds)} s from now; at most ${tolerance} s allowed`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** timingSafeEqual, which throws on different lengths: a length difference is a mismatch. */
function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What every verifier reads of the request, checked (misuse throws, naming `fn`): a header reader and the body's bytes. */
function requestOf(opts: { headers: WebhookHeaders; body: WebhookBody }, fn: string): { read: (name: string) => string | undefined; body: Buffer | undefined } {
  return { read: headerReader(opts.headers, fn), body: bodyBytes(opts.body, fn) };
}

/** …and, for a signature with a timestamp, how far it may be from now, and now. */
function timedRequestOf(
  opts: { headers: WebhookHeaders; body: WebhookBody; toleranceSeconds?: number | undefined; now?: Date | undefined },
  fn: string,
): ReturnType<typeof requestOf> & { tolerance: number; nowMs: number } {
  const tolerance = toleranceOf(opts.toleranceSeconds, fn);
  const nowMs = nowOf(opts.now, fn);
  return { tolerance, nowMs, ...requestOf(opts, fn) };
}

function requireOptions<T>(options: T, fn: string): T {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: expected an options object ({ body, headers, … })`);
  return options;
}

function toleranceOf(value: number | undefined, fn: string): number {
  if (value === undefined) return DEFAULT_TOLERANCE_SECONDS;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new TypeError(`${fn}: toleranceSeconds must be a number of seconds, 0 or more`);
  return value;
}

function nowOf(now: Date | undefined, fn: string): number {
  if (now === undefined) return Date.now();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError(`${fn}: now must be a valid Date`);
  return now.getTime();
}

/**
 * The body's bytes; undefined when there is none (express.raw leaves req.body undefined, or `{}`
 * in Express 4, for a request of another content-type: the request's doing, not a misuse).
 */
function bodyBytes(body: unknown, fn: string): Buffer | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'object' && Object.getPrototypeOf(body) === Object.prototype && Object.keys(body).length === 0) return undefined;
  throw new TypeError(
    `${fn}: body must be the raw request body (string, Buffer, Uint8Array or ArrayBuffer), not ${typeof body === 'object' ? 'a parsed object' : `a ${typeof body}`}: ` +
      "use express.raw({ type: 'application/json' }) on the webhook route, not express.json()",
  );
}

/** A function reading one header (by lowercase name) as a single string, or undefined. */
function headerReader(headers: WebhookHeaders, fn: string): (name: string) => string | undefined {
  if (typeof headers !== 'object' || headers === null) throw new TypeError(`${fn}: headers must be req.headers, a record of header values, or a Headers`);
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const h = headers as { get(name: string): string | null };
    return (name) => h.get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, unknown>>;
  return (name) => {
    let value = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
    if (value === undefined) {
      const key = Object.keys(record).find((k) => k.toLowerCase() === name);
      if (key !== undefined) value = record[key];
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value.join(', ');
    return undefined;
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether Python's `raw_body.decode()` (strict UTF-8) would succeed. */
function isWellFormedUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Receivers on loopback that do what the seeds' sample receivers do, so a delivery that a
 * real receiver would reject fails the test: a wrong token, a bad signature, a stale timestamp.
 *
 * Each receiver runs the seed's checks first. A request that passes them is "verified"; it is
 * answered with an injected failure while `failNext` has some queued (to test retries: the
 * retried attempt is verified again), else with the seed's success answer.
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Response } from 'express';
import { Webhook } from 'standardwebhooks';

export interface Verified {
  /** What the request was about: the custom payload's eventType, or the Slack/Teams title. */
  what: string;
  headers: IncomingHttpHeaders;
  /** The bytes received, as UTF-8; null when the seed parses JSON straight away (the Express Bearer sample). */
  rawBody: string | null;
  json: unknown;
  /** The status this verified request was answered with: an injected failure or the success. */
  status: number;
  at: number;
}

/** A failure to answer a verified request with: a status, optionally with headers (Retry-After). */
export type InjectedFailure = number | { status: number; headers?: Record<string, string> };

type Accept = (res: Response, request: Omit<Verified, 'status' | 'at'>, succeed: () => void) => void;

/** One answer of the receiver, in arrival order: every request, rejected or not. */
export interface Answer {
  status: number;
  body: string;
}

export class SeedReceiver {
  private static readonly running = new Set<SeedReceiver>();
  /** Verified requests in arrival order (including those answered with an injected failure). */
  readonly verified: Verified[] = [];
  readonly answers: Answer[] = [];
  /** Lines the sample would print (error detection of the custom samples). */
  readonly printed: string[] = [];
  private failures: InjectedFailure[] = [];

  private constructor(private readonly server: Server) {}

  static async start(mount: (app: Express, accept: Accept, receiver: SeedReceiver) => void): Promise<SeedReceiver> {
    const app = express();
    let receiver: SeedReceiver | undefined;
    // Records every answer, whatever route or error handler sends it.
    app.use((_req, res, next) => {
      let body = '';
      const send = res.send.bind(res);
      res.send = (value?: unknown) => {
        body = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : value === undefined ? '' : JSON.stringify(value);
        return send(value);
      };
      res.on('finish', () => receiver?.answers.push({ status: res.statusCode, body }));
      next();
    });
    const accept: Accept = (res, request, succeed) => {
      const self = receiver!;
      const injected = self.failures.shift();
      const failure = typeof injected === 'number' ? { status: injected } : injected;
      self.verified.push({ ...request, status: failure?.status ?? 200, at: Date.now() });
      if (failure !== undefined) {
        res.status(failure.status).set(failure.headers ?? {}).send('injected failure');
        return;
      }
      succeed();
      // The success status may differ from 200 (Teams answers 202).
      self.verified[self.verified.length - 1]!.status = res.statusCode;
    };
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    receiver = new SeedReceiver(server);
    mount(app, accept, receiver);
    SeedReceiver.running.add(receiver);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
  }

  /** Answers the next verified requests with these failures, one each. */
  failNext(...failures: InjectedFailure[]): void {
    this.failures.push(...failures);
  }

  /** Verified requests answered with a 2xx. */
  get accepted(): Verified[] {
    return this.verified.filter((v) => v.status >= 200 && v.status < 300);
  }

  async waitForAccepted(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.length < count) {
      if (Date.now() > deadline) throw new Error(`receiver accepted ${this.accepted.length} of ${count}; answers: ${JSON.stringify(this.answers)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    SeedReceiver.running.delete(this);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...SeedReceiver.running].map((r) => r.stop()));
  }
}

/** Headers as the single strings the verifying libraries take. */
function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
}

// The seed payload's shape, as the samples read it.
interface SeedPayload {
  id: string;
  eventType: string;
  body: { data: { callId: string; callStatus?: string }; errors: { code: string; message: string; phase?: string }[] };
}

function printErrors(receiver: SeedReceiver, payload: SeedPayload): void {
  for (const err of payload.body.errors) receiver.printed.push(`[${err.code}] ${err.message}`);
}

/** Seed 000 "Custom: Node.js (Express)": Bearer token, then error detection via body.errors. */
export function bearerSeedReceiver(token: string): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept, receiver) => {
    app.use(express.json());
    app.post('/webhook', (req, res) => {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${token}`) {
        return res.status(401).send('unauthorized');
      }
      const payload = req.body as SeedPayload;
      const { eventType, body } = payload;
      const hasErrors = Array.isArray(body.errors) && body.errors.length > 0;
      if (hasErrors) printErrors(receiver, payload);
      accept(res, { what: eventType, headers: req.headers, rawBody: null, json: payload }, () => res.status(200).send('ok'));
    });
  });
}

/**
 * Seed 000 "Custom: Python (FastAPI)", step by step in Node: the timestamp within 5 minutes
 * (a non-integer one is an uncaught ValueError there: 500), then RSA PKCS#1 v1.5 SHA-256 over
 * `${timestamp}.${raw body}` with the public key, then error detection.
 * `publicKey` is the key loaded from recho_public_key.pem (or looked up by x-recho-key-id).
 */
export function rsaSeedReceiver(publicKey: (keyId: string | undefined) => KeyObject | undefined | Promise<KeyObject | undefined>): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept, receiver) => {
    app.post('/webhook', express.raw({ type: '*/*' }), async (req, res) => {
      const rawBody = req.body as Buffer;
      const signatureB64 = req.get('x-recho-signature') ?? '';
      const timestamp = req.get('x-recho-timestamp') ?? '';
      // 1. Validate timestamp (within 5 minutes)
      if (timestamp && !/^[+-]?\d+$/.test(timestamp.trim())) return res.status(500).send('Internal Server Error');
      if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
        return res.status(401).json({ detail: 'stale timestamp' });
      }
      // 2. Verify signature
      const signedPayload = Buffer.from(`${timestamp}.${rawBody.toString('utf8')}`, 'utf8');
      const key = await publicKey(req.get('x-recho-key-id'));
      let valid = false;
      try {
        valid = !!key && verify('sha256', signedPayload, { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signatureB64, 'base64'));
      } catch {
        valid = false; // the sample's `except Exception`
      }
      if (!valid) return res.status(401).json({ detail: 'invalid signature' });
      const payload = JSON.parse(rawBody.toString('utf8')) as SeedPayload;
      // 3. Error detection
      if (payload.body.errors.length > 0) printErrors(receiver, payload);
      accept(res, { what: payload.eventType, headers: req.headers, rawBody: rawBody.toString('utf8'), json: payload }, () => res.json({ ok: true }));
    });
  });
}

/**
 * A Standard Webhooks receiver: the `standardwebhooks` package's verify (signature and a
 * 5-minute timestamp tolerance) with each secret the receiver holds; 401 unless one verifies.
 * `verifiedBy` in the JSON it records lists the secrets that verified.
 */
export function standardWebhooksReceiver(secrets: () => string[]): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept) => {
    app.post('/webhook', express.raw({ type: '*/*' }), (req, res) => {
      const rawBody = (req.body as Buffer).toString('utf8');
      const headers = headerRecord(req.headers);
      const verifiedBy = secrets().filter((secret) => {
        try {
          new Webhook(secret).verify(rawBody, headers);
          return true;
        } catch {
          return false; // WebhookVerificationError: this secret does not verify
        }
      });
      if (verifiedBy.length === 0) return res.status(401).send('invalid signature');
      const payload = JSON.parse(rawBody) as SeedPayload;
      accept(res, { what: payload.eventType, headers: req.headers, rawBody, json: { payload, verifiedBy } }, () => res.status(204).send());
    });
  });
}

/** Seed 004 (OutRival): express.raw, hex HMAC-SHA256 of the UTF-8 payload compared with x-signature; 403 otherwise. */
export function outrivalSeedReceiver(secret: () => string): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept) => {
    app.use(express.raw({ type: '*/*', limit: '10mb' }));
    app.post('/webhook', (req, res) => {
      const payload = (req.body as Buffer).toString('utf-8');
      const xSignature = req.headers['x-signature'];
      const generatedSignature = createHmac('sha256', secret()).update(payload).digest('hex');
      if (generatedSignature === xSignature) {
        const parsed = JSON.parse(payload) as SeedPayload;
        accept(res, { what: parsed.eventType, headers: req.headers, rawBody: payload, json: parsed }, () => res.status(200).send('Signature verified'));
      } else {
        res.status(403).send('Invalid signature');
      }
    });
  });
}

/**
 * Seed 003 (Recover): express.raw, timingSafeEqual of the header against the hex HMAC-SHA256 of the
 * raw body; 401 otherwise. The header name is the endpoint's (Recover's own is x-recover-signature).
 * As in the sample, a missing or wrong-length signature makes timingSafeEqual throw: a 500.
 */
export function recoverSeedReceiver(secret: () => string, header: string): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept) => {
    function verifyWebhook(body: Buffer, signature: string, webhookSecret: string): boolean {
      const expected = createHmac('sha256', webhookSecret).update(body).digest('hex');
      return timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    }
    app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
      const signature = req.headers[header] as string;
      const isValid = verifyWebhook(req.body as Buffer, signature, secret());
      if (!isValid) {
        return res.status(401).send('Invalid signature');
      }
      const event = JSON.parse((req.body as Buffer).toString('utf8')) as SeedPayload;
      accept(res, { what: event.eventType, headers: req.headers, rawBody: (req.body as Buffer).toString('utf8'), json: event }, () =>
        res.status(200).send('OK'),
      );
    });
  });
}

/**
 * A Slack Incoming Webhook: JSON with a `text` string, else 400 invalid_payload / no_text
 * (the answers Slack gives); `ok` on success.
 */
export function slackReceiver(): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept) => {
    app.post('/webhook', express.raw({ type: '*/*' }), (req, res) => {
      const rawBody = (req.body as Buffer).toString('utf8');
      if (!req.is('application/json')) return res.status(400).send('invalid_payload');
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return res.status(400).send('invalid_payload');
      }
      const text = (json as { text?: unknown }).text;
      if (typeof text !== 'string' || text === '') return res.status(400).send('no_text');
      accept(res, { what: text.split('\n')[0] ?? '', headers: req.headers, rawBody, json }, () => res.status(200).send('ok'));
    });
  });
}

/**
 * A Teams Workflows webhook: a `message` with one Adaptive Card attachment, else 400; 202 on
 * success, as Workflows answers.
 */
export function teamsReceiver(): Promise<SeedReceiver> {
  return SeedReceiver.start((app, accept) => {
    app.post('/webhook', express.raw({ type: '*/*' }), (req, res) => {
      const rawBody = (req.body as Buffer).toString('utf8');
      if (!req.is('application/json')) return res.status(400).send('content type must be application/json');
      let json: { type?: unknown; attachments?: { contentType?: unknown; content?: { type?: unknown; body?: { text?: string }[] } }[] };
      try {
        json = JSON.parse(rawBody) as typeof json;
      } catch {
        return res.status(400).send('not JSON');
      }
      const card = json.attachments?.[0];
      if (json.type !== 'message' || card?.contentType !== 'application/vnd.microsoft.card.adaptive' || card.content?.type !== 'AdaptiveCard') {
        return res.status(400).send('expected a message with an Adaptive Card attachment');
      }
      accept(res, { what: card.content.body?.[0]?.text ?? '', headers: req.headers, rawBody, json }, () => res.status(202).send());
    });
  });
}

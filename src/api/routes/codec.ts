/**
 * The codec endpoint: Temporal's remote codec protocol, so the Temporal Web UI (`--ui-codec-endpoint`,
 * or its Data Encoder setting) and the CLI (`--codec-endpoint`) show payloads decrypted.
 *
 * `POST /codec/decode` and `POST /codec/encode` (also `/codec/<namespace>/decode`, for the CLI's
 * `{namespace}` template) take and answer a Payloads message in protobuf JSON:
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`. A payload that cannot be
 * decoded is a 400, as the protocol says. The Web UI calls from the browser, so the router answers
 * CORS for the configured origins; the preflight carries no credentials and so is not authenticated.
 */
import express, { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { logger } from '../../observability/logger';
import { PayloadCodecError } from '../../temporal/payload-codec';
import { ApiError, requireJson, validationError } from '../errors';

/** History pages hold many payloads: more than the API's MAX_BODY_BYTES. */
export const CODEC_BODY_LIMIT = '4mb';

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

export interface CodecRouterDeps {
  codec: PayloadCodec;
  /** Origins whose pages (the Temporal Web UI) may call the endpoint from a browser, e.g. http://localhost:8233. */
  corsOrigins: readonly string[];
  /** Checks the caller; runs before the body is read. */
  authenticate: RequestHandler;
}

/** Protobuf JSON's bytes: base64, standard or URL-safe alphabet. */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});

const payloadsBodySchema = z.object({ payloads: z.array(jsonPayloadSchema) });

type JsonPayload = z.infer<typeof jsonPayloadSchema>;

export function codecRouter(deps: CodecRouterDeps): Router {
  const router = Router();
  router.use(codecCors(deps.corsOrigins));
  router.use(deps.authenticate);
  router.use(requireJson);
  router.use(express.json({ limit: CODEC_BODY_LIMIT, strict: true }));
  router.post(['/encode', '/:namespace/encode'], convert(deps.codec, 'encode'));
  router.post(['/decode', '/:namespace/decode'], convert(deps.codec, 'decode'));
  return router;
}

function convert(codec: PayloadCodec, direction: 'encode' | 'decode'): RequestHandler {
  return async (req, res) => {
    const parsed = payloadsBodySchema.safeParse(req.body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    let converted: Payload[];
    try {
      converted = await codec[direction](parsed.data.payloads.map(fromJson));
    } catch (err) {
      if (!(err instanceof PayloadCodecError)) throw err;
      const namespace = req.get('x-namespace') ?? req.params.namespace;
      logger.warn({ err, direction, namespace, payloads: parsed.data.payloads.length }, 'codec endpoint could not convert payloads');
      throw new ApiError(400, 'codec_failed', `could not ${direction} the payloads: ${err.message}`);
    }
    res.json({ payloads: converted.map(toJson) });
  };
}

/**
 * CORS for the listed origins only: the allowed origin is echoed (with credentials, for a UI set to
 * include them); a preflight is answered here, before authentication.
 */
function codecCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const corsAllowed = origin !== undefined && allowed.has(origin);
    if (corsAllowed) res.set({ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' });
    if (req.method !== 'OPTIONS') return next();
    if (corsAllowed) {
      res.set({ 'access-control-allow-methods': 'POST', 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' });
    } else {
      logger.warn({ origin: origin ?? null, path: req.originalUrl }, 'codec endpoint preflight from an origin not in CODEC_CORS_ORIGINS');
    }
    res.status(204).end();
  };
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/unavailable';
import { logger } from '../observability/logger';

/** The Retry-After (seconds) of a 503 answered because Postgres is unreachable. */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_S = 5;

/** An error the API answers with: `{ "error": { "code", "message", "details" } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError(404, 'not_found', `${what} ${id} does not exist`);
}

export function validationError(err: ZodError, where: 'body' | 'query' | 'path'): ApiError {
  const details = err.issues.map((issue) => ({ path: [where, ...issue.path].join('.'), message: issue.message }));
  return new ApiError(400, 'invalid_request', `invalid ${where}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** Turns every error into the JSON error shape; body-parser's and the router's 4xx errors keep their status. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  else if (err instanceof ZodError) apiError = validationError(err, 'body');
  else if (isClientError(err)) {
    // body-parser's errors (with a `type`) and the router's (a path that cannot be percent-decoded).
    if (err.type === 'entity.too.large') apiError = new ApiError(413, 'payload_too_large', `request body exceeds ${err.limit} bytes`);
    else if (err.type === 'entity.parse.failed') apiError = new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`);
    else apiError = new ApiError(err.status, 'bad_request', err.message);
  } else if (isDatabaseUnavailable(err)) {
    // Postgres is down or unreachable. Retrying is safe: an event's id is its idempotency key (an event
    // stored and signalled before the failure is delivered once), and other writes are single statements or transactions.
    logger.warn({ err, method: req.method, path: req.path }, 'request failed: postgres unavailable');
    res.set('retry-after', String(DATABASE_UNAVAILABLE_RETRY_AFTER_S));
    apiError = new ApiError(503, 'database_unavailable', `Postgres is unavailable (${(err as Error).message}); retry later (an event: with the same id)`);
  } else {
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    apiError = new ApiError(500, 'internal', 'internal error; see the server log');
  }
  res.status(apiError.status).json({ error: { code: apiError.code, message: apiError.message, details: apiError.details ?? null } });
};

interface ClientError extends Error {
  status: number;
  type?: string;
  limit?: number;
}

/** An error that middleware marked as the client's fault (a 4xx); 5xx ones stay internal. */
function isClientError(err: unknown): err is ClientError {
  const status = err instanceof Error ? (err as Partial<ClientError>).status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Request bodies must be JSON: anything else is a 415, before the body is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    return next(new ApiError(415, 'unsupported_media_type', 'send the body as application/json'));
  }
  next();
};

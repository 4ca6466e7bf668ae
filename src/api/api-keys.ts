import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `Authorization: Bearer <key>` with one of `keys` (compared in constant time). With no
 * keys configured every request passes: the API is then meant for a private network only.
 */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const accepted = keys.map(digest);
  return (req, res, next) => {
    if (accepted.length === 0) return next();
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const given = match?.[1] ? digest(match[1]) : undefined;
    if (given && accepted.some((key) => timingSafeEqual(key, given))) return next();
    res.set('www-authenticate', 'Bearer realm="callhook"');
    next(new ApiError(401, 'unauthorized', 'send one of the API keys as Authorization: Bearer <key>'));
  };
}

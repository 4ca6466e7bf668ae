import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { findActiveApiKey, touchApiKeys } from '../../db/api-keys-repo';
import type { Pool } from '../../db/pool';
import { hashApiKey } from '../../auth/api-keys';
import { logger } from '../../observability/logger';
import { ApiError } from '../errors';
import { setPrincipal, type Principal } from './principal';
import { RateLimiter } from './rate-limit';
import { looksLikePortalToken, PortalTokenError, type PortalTokens } from '../../auth/portal-tokens';
import { isPortalLinkRevoked } from '../../db/portal-links-repo';

export interface AuthOptions {
  /** off: every request acts as an admin (a private network only). */
  mode: 'on' | 'off';
  /** Admin keys from the configuration (ADMIN_API_KEYS). */
  adminKeys: readonly string[];
  pool: Pool;
  /** Requests per second per key (0: unlimited). */
  rateLimits?: { client: number; admin: number };
  /** How long a key read from Postgres is trusted before it is read again (default 5 s). */
  cacheMs?: number;
  /** Verifies portal link tokens; without it a token is an unknown key. */
  portalTokens?: PortalTokens;
}

/** How often a key's last_used_at is written at most. */
const TOUCH_EVERY_MS = 60_000;

export interface Authenticator {
  middleware: RequestHandler;
  /** Forgets a key at once (after a revocation in this process). */
  forget(keyId: string): void;
  /** Forgets a portal link at once (after its revocation in this process); other processes within `cacheMs`. */
  forgetPortalLink(linkId: string): void;
}

/**
 * Resolves `Authorization: Bearer <key>` to a principal: an admin key from the configuration, or
 * an unrevoked key in Postgres (read through a short cache); then applies the key's rate limit.
 * Runs before the body is read, so an unauthenticated request costs no parsing.
 */
export function authenticator(options: AuthOptions): Authenticator {
  const configured = options.adminKeys.map((key) => hashApiKey(key));
  const cacheMs = options.cacheMs ?? 5_000;
  const cache = new Map<string, { principal: Principal | null; until: number }>();
  const touched = new Map<string, number>();
  const limiter = new RateLimiter();
  const limits = options.rateLimits ?? { client: 0, admin: 0 };

  async function resolve(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const index = configured.findIndex((known) => timingSafeEqual(known, hash));
    if (index >= 0) return { role: 'admin', keyId: `config:${index + 1}` };
    const cacheKey = hash.toString('hex');
    const cached = cache.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.principal;
    const record = await findActiveApiKey(options.pool, hash);
    const principal: Principal | null = !record
      ? null
      : record.kind === 'admin'
        ? { role: 'admin', keyId: record.id }
        : { role: 'client', keyId: record.id, clientId: record.clientId! };
    if (cache.size > 10_000) cache.clear(); // bounded: unknown keys must not grow it forever
    cache.set(cacheKey, { principal, until: Date.now() + cacheMs });
    return principal;
  }

  /** Revocations of portal links, read from Postgres through the same short cache as keys. */
  const revoked = new Map<string, { revoked: boolean; until: number }>();
  async function portalPrincipal(token: string): Promise<Principal> {
    const claims = await options.portalTokens!.verify(token);
    const cached = revoked.get(claims.linkId);
    let isRevoked = cached && cached.until > Date.now() ? cached.revoked : undefined;
    if (isRevoked === undefined) {
      isRevoked = await isPortalLinkRevoked(options.pool, claims.linkId);
      if (revoked.size > 10_000) revoked.clear();
      revoked.set(claims.linkId, { revoked: isRevoked, until: Date.now() + cacheMs });
    }
    if (isRevoked) throw new PortalTokenError('invalid', 'this portal link was revoked');
    return {
      role: 'client',
      keyId: `portal:${claims.linkId}`,
      clientId: claims.clientId,
      portal: { linkId: claims.linkId, capabilities: claims.capabilities, expiresAt: claims.expiresAt.toISOString(), theme: claims.theme },
    };
  }

  function touch(keyId: string): void {
    const now = Date.now();
    if ((touched.get(keyId) ?? 0) > now - TOUCH_EVERY_MS) return;
    touched.set(keyId, now);
    touchApiKeys(options.pool, [keyId]).catch((err: unknown) => logger.warn({ err, keyId }, 'could not record the API key as used'));
  }

  const middleware: RequestHandler = async (req, res, next) => {
    const portalToken = /^Bearer ([\w.-]{20,4096})$/.exec(req.headers.authorization ?? '')?.[1];
    // A portal link's token confines the request to its client, even where keys are not required.
    if (portalToken && options.portalTokens && looksLikePortalToken(portalToken)) {
      try {
        setPrincipal(res, await portalPrincipal(portalToken));
        return next();
      } catch (err) {
        if (!(err instanceof PortalTokenError)) throw err;
        res.set('www-authenticate', 'Bearer realm="callhook"');
        return next(new ApiError(401, err.reason === 'expired' ? 'portal_link_expired' : 'unauthorized', err.message));
      }
    }
    if (options.mode === 'off') {
      setPrincipal(res, { role: 'admin', keyId: null });
      return next();
    }
    const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(req.headers.authorization ?? '');
    const principal = match ? await resolve(match[1]!) : null;
    if (!principal) {
      res.set('www-authenticate', 'Bearer realm="callhook"');
      return next(
        new ApiError(401, 'unauthorized', match ? 'the API key is unknown or revoked' : 'send an API key as Authorization: Bearer <key>'),
      );
    }
    setPrincipal(res, principal);
    if (principal.keyId && !principal.keyId.startsWith('config:')) touch(principal.keyId);
    const rate = principal.role === 'admin' ? limits.admin : limits.client;
    const waitMs = principal.keyId && rate > 0 ? limiter.take(principal.keyId, rate) : 0;
    if (waitMs > 0) {
      res.set('retry-after', String(Math.ceil(waitMs / 1000)));
      return next(new ApiError(429, 'rate_limited', `too many requests for this API key (at most ${rate} per second); retry after the Retry-After seconds`));
    }
    next();
  };

  return {
    middleware,
    forget(keyId) {
      for (const [hash, entry] of cache) if (entry.principal?.keyId === keyId) cache.delete(hash);
    },
    forgetPortalLink(linkId) {
      revoked.set(linkId, { revoked: true, until: Date.now() + cacheMs });
    },
  };
}

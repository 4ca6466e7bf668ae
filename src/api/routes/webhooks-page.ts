/**
 * The Webhooks page, served by the API itself at `/` (same origin as /v1): its HTML at `/`, its
 * script and stylesheet at `/ui/<file>`. Public: the page holds no data, it asks /v1 with the
 * key the user signs in with. Not part of the API (not in the OpenAPI document).
 */
import { Router, type Response } from 'express';
import { pageBundle } from '../../ui/bundle';
import { notFound } from '../errors';

/**
 * No inline script or style, nothing from elsewhere but https images (a portal link's logo); the
 * page may be framed only by the origins given (PORTAL_FRAME_ANCESTORS), by none without them.
 */
export function pageContentSecurityPolicy(frameAncestors: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** The policy of a page that no one may frame. */
export const PAGE_CONTENT_SECURITY_POLICY = pageContentSecurityPolicy();

export function webhooksPageRouter(options: { frameAncestors?: readonly string[] } = {}): Router {
  const router = Router();
  const policy = pageContentSecurityPolicy(options.frameAncestors);
  const setPageHeaders = (res: Response) =>
    res.set({
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  router.get('/', async (_req, res) => {
    const bundle = await pageBundle();
    setPageHeaders(res);
    // The HTML names the current assets: always revalidated (its ETag makes that a 304).
    res.set('cache-control', 'no-cache');
    res.type('html').send(bundle.html);
  });
  router.get('/ui/:file', async (req, res) => {
    const asset = (await pageBundle()).assets.get(req.params.file);
    // An asset of an earlier build (the process restarted since the HTML was loaded) or no asset at all.
    if (!asset) throw notFound('file', `/ui/${req.params.file}`);
    setPageHeaders(res);
    // The name carries the content's hash: a new build is a new name.
    res.set({ 'cache-control': 'public, max-age=31536000, immutable', vary: 'accept-encoding' });
    res.type(asset.contentType);
    // Gzipped only when asked for by name: a client that sends no Accept-Encoding gets the plain bytes.
    if (req.headers['accept-encoding'] !== undefined && req.acceptsEncodings('gzip') === 'gzip') res.set('content-encoding', 'gzip').send(asset.gzipped);
    else res.send(asset.body);
  });
  return router;
}

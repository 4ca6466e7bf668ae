/**
 * Portal links (admin keys only): the Webhooks page as one client, with no API key. Creating one
 * signs a token into its URL's fragment; revoking one stops it at once in this process, within
 * 5 s in the others (their authenticators' cache).
 */
import { Router, type Request } from 'express';
import type { Pool } from '../../db/pool';
import { insertPortalLink, listLivePortalLinks, revokePortalLink } from '../../db/portal-links-repo';
import type { PortalTokens } from '../../auth/portal-tokens';
import { newId } from '../../domain/ids';
import { createPortalLinkBody, listPortalLinksQuery, portalLinkIdParams } from '../../schemas/portal-link';
import { notFound } from '../errors';
import { principalOf, requireAdmin } from '../auth/principal';
import { parse } from '../validate';

export interface PortalLinksDeps {
  pool: Pool;
  tokens: PortalTokens;
  /** Where the page is reached (PORTAL_BASE_URL); the request's own origin when absent. */
  baseUrl?: string | undefined;
  forget(linkId: string): void;
}

/** The page's address: the configured one, or the origin this request came to. */
function pageUrl(req: Request, baseUrl: string | undefined): string {
  return (baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

export function portalLinksRouter(deps: PortalLinksDeps): Router {
  const router = Router();
  router.use(requireAdmin);

  router.post('/', async (req, res) => {
    const body = parse(createPortalLinkBody, req.body, 'body');
    const principal = principalOf(res);
    const link = await insertPortalLink(deps.pool, {
      id: newId('pl'),
      clientId: body.clientId,
      capabilities: body.capabilities,
      theme: body.theme ?? null,
      createdBy: principal.keyId ?? 'api',
      expiresInSeconds: body.expiresIn,
    });
    const token = await deps.tokens.sign({
      linkId: link.id,
      clientId: link.clientId,
      capabilities: link.capabilities,
      expiresAt: new Date(link.expiresAt),
      theme: link.theme,
    });
    // The token rides in the fragment: browsers send it to no server, and it stays out of logs and the Referer.
    res.status(201).location(`/v1/portal-links/${link.id}`).json({ ...link, url: `${pageUrl(req, deps.baseUrl)}/#portal=${token}`, token });
  });

  router.get('/', async (req, res) => {
    const { clientId } = parse(listPortalLinksQuery, req.query, 'query');
    res.json({ data: await listLivePortalLinks(deps.pool, clientId) });
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parse(portalLinkIdParams, req.params, 'path');
    const revoked = await revokePortalLink(deps.pool, id);
    if (!revoked) throw notFound('portal link', id);
    deps.forget(id);
    res.json(revoked);
  });

  return router;
}

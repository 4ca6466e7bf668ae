/**
 * Portal links (admin keys only): the Webhooks page as one client, with no API key. Creating one
 * signs a token into its URL's fragment; revoking one stops it at once in this process, within
 * 5 s in the others (their authenticators' cache). Without portal links configured (RouteDeps'
 * `portalLinks`), app.ts mounts none of these routes.
 */
import type { Request } from 'express';
import { insertPortalLink, listLivePortalLinks, revokePortalLink } from '../../db/portal-links-repo';
import { newId } from '../../domain/ids';
import { createPortalLinkBody, createdPortalLinkSchema, listPortalLinksQuery, portalLinkIdParams, portalLinkListSchema, portalLinkSchema } from '../../schemas/portal-link';
import { notFound } from '../errors';
import { principalOf } from '../auth/principal';
import { defineRoute } from '../route';
import type { RouteDeps } from '../route-deps';

/** The page's address: the configured one, or the origin this request came to. */
function pageUrl(req: Request, baseUrl: string | undefined): string {
  return (baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

/** The portal-link dependencies: always there, as the routes are mounted only with them. */
function portalLinksOf(deps: RouteDeps): NonNullable<RouteDeps['portalLinks']> {
  if (!deps.portalLinks) throw new Error('a portal-link route is mounted without portal links configured');
  return deps.portalLinks;
}

const createPortalLinkRoute = defineRoute({
  method: 'post',
  path: '/v1/portal-links',
  operationId: 'createPortalLink',
  summary: 'Create a portal link: the Webhooks page as one client, with no API key (admin keys only)',
  description:
    'The `url` opens the page as the client (the token rides in its fragment: it reaches no server log and no Referer). The `token` also works as `Authorization: Bearer <token>` on /v1, exactly as a client key of that client: `read` links can read everything and change nothing (403 read_only_link), `manage` links can do what a client key can. The link stops working when it expires (401 portal_link_expired) or is revoked.',
  tag: 'portal links',
  admin: true,
  body: { schema: createPortalLinkBody, required: true },
  responses: [{ status: 201, description: 'created; the token is in this response only', schema: createdPortalLinkSchema, headers: { location: 'the link: `/v1/portal-links/{id}`' } }],
  handler: async ({ body, req, res, reply }, deps) => {
    const { tokens, baseUrl } = portalLinksOf(deps);
    const principal = principalOf(res);
    const link = await insertPortalLink(deps.pool, {
      id: newId('pl'),
      clientId: body.clientId,
      capabilities: body.capabilities,
      theme: body.theme ?? null,
      createdBy: principal.keyId ?? 'api',
      expiresInSeconds: body.expiresIn,
    });
    const token = await tokens.sign({
      linkId: link.id,
      clientId: link.clientId,
      capabilities: link.capabilities,
      expiresAt: new Date(link.expiresAt),
      theme: link.theme,
    });
    // The token rides in the fragment: browsers send it to no server, and it stays out of logs and the Referer.
    res.location(`/v1/portal-links/${link.id}`);
    return reply(201, { ...link, url: `${pageUrl(req, baseUrl)}/#portal=${token}`, token });
  },
});

const listPortalLinksRoute = defineRoute({
  method: 'get',
  path: '/v1/portal-links',
  operationId: 'listPortalLinks',
  summary: 'The portal links that still work (admin keys only)',
  tag: 'portal links',
  admin: true,
  query: listPortalLinksQuery,
  responses: [{ status: 200, description: 'live links, newest first, without their tokens', schema: portalLinkListSchema }],
  handler: async ({ query: { clientId }, reply }, deps) => reply(200, { data: await listLivePortalLinks(deps.pool, clientId) }),
});

const revokePortalLinkRoute = defineRoute({
  method: 'delete',
  path: '/v1/portal-links/{id}',
  operationId: 'revokePortalLink',
  summary: 'Revoke a portal link (admin keys only)',
  description: 'At once on the API process that answers; within 5 s on the others.',
  tag: 'portal links',
  admin: true,
  params: portalLinkIdParams,
  responses: [{ status: 200, description: 'the revoked link', schema: portalLinkSchema }],
  errors: { 404: 'no such link' },
  handler: async ({ params: { id }, reply }, deps) => {
    const { forget } = portalLinksOf(deps);
    const revoked = await revokePortalLink(deps.pool, id);
    if (!revoked) throw notFound('portal link', id);
    forget(id);
    return reply(200, revoked);
  },
});

/** Every portal-link route, in the document's order: mounted only when portal links are configured. */
export const PORTAL_LINK_ROUTES = [createPortalLinkRoute, listPortalLinksRoute, revokePortalLinkRoute];

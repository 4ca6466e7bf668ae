/**
 * Portal links: the Webhooks page as one client, for a platform to embed in its own dashboard. The
 * link carries a signed token (a JWT) that acts as a client key of that client, read-only or not.
 */
import { z } from 'zod';

export const portalCapabilitiesSchema = z.enum(['read', 'manage']).describe('`read`: see everything, change nothing; `manage`: as a client key');
export type PortalCapabilities = z.infer<typeof portalCapabilitiesSchema>;

/** The link's look: shown by the page it opens. */
export const portalThemeSchema = z
  .object({
    accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb').optional(),
    logoUrl: z.url({ protocol: /^https$/ }).max(2_048).optional().describe('An https image shown in the header'),
    title: z.string().min(1).max(100).optional().describe('Shown as the page title instead of "Webhooks"'),
  })
  .strict();
export type PortalTheme = z.infer<typeof portalThemeSchema>;

export const PORTAL_LINK_DEFAULT_SECONDS = 3_600;
export const PORTAL_LINK_MAX_SECONDS = 7 * 24 * 3_600;

export const createPortalLinkBody = z
  .object({
    clientId: z.string().min(1).max(200),
    capabilities: portalCapabilitiesSchema.default('manage'),
    expiresIn: z
      .number()
      .int()
      .min(60)
      .max(PORTAL_LINK_MAX_SECONDS)
      .default(PORTAL_LINK_DEFAULT_SECONDS)
      .describe('Seconds until the link stops working: 60 to 604 800 (7 days); 3 600 by default'),
    theme: portalThemeSchema.optional(),
  })
  .strict();

export const portalLinkIdParams = z.object({ id: z.string().regex(/^pl_[A-Za-z0-9]+$/, 'a portal link id starts with pl_') });
export const listPortalLinksQuery = z.object({ clientId: z.string().min(1).max(200).optional() }).strict();

export const portalLinkSchema = z.strictObject({
  id: z.string(),
  clientId: z.string(),
  capabilities: portalCapabilitiesSchema,
  theme: portalThemeSchema.nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type PortalLinkView = z.infer<typeof portalLinkSchema>;

export const createdPortalLinkSchema = portalLinkSchema.extend({
  url: z.string().describe('Opens the Webhooks page as the client; the token is in the fragment, never sent to a server or logged'),
  token: z.string().describe('The same token, for a platform\'s own frontend: `Authorization: Bearer <token>` on /v1'),
});
export const portalLinkListSchema = z.strictObject({ data: z.array(portalLinkSchema) });

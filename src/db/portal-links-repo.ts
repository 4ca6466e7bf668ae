import type { Queryable } from './pool';
import type { PortalCapabilities, PortalLinkView, PortalTheme } from '../schemas/portal-link';

interface PortalLinkRow {
  id: string;
  client_id: string;
  capabilities: PortalCapabilities;
  theme: PortalTheme | null;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, client_id, capabilities, theme, created_by, created_at, expires_at, revoked_at';

const toView = (row: PortalLinkRow): PortalLinkView => ({
  id: row.id,
  clientId: row.client_id,
  capabilities: row.capabilities,
  theme: row.theme,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

export async function insertPortalLink(
  db: Queryable,
  link: { id: string; clientId: string; capabilities: PortalCapabilities; theme: PortalTheme | null; createdBy: string; expiresInSeconds: number },
): Promise<PortalLinkView> {
  const { rows } = await db.query<PortalLinkRow>(
    `INSERT INTO portal_links (id, client_id, capabilities, theme, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING ${COLUMNS}`,
    [link.id, link.clientId, link.capabilities, link.theme && JSON.stringify(link.theme), link.createdBy, link.expiresInSeconds],
  );
  return toView(rows[0]!);
}

/** Links that still work (not revoked, not expired), newest first. */
export async function listLivePortalLinks(db: Queryable, clientId?: string): Promise<PortalLinkView[]> {
  const { rows } = await db.query<PortalLinkRow>(
    `SELECT ${COLUMNS} FROM portal_links
     WHERE revoked_at IS NULL AND expires_at > now() AND ($1::text IS NULL OR client_id = $1)
     ORDER BY created_at DESC LIMIT 1000`,
    [clientId ?? null],
  );
  return rows.map(toView);
}

/** Revokes a link (once: a second revocation keeps the first time); undefined if there is no such link. */
export async function revokePortalLink(db: Queryable, id: string): Promise<PortalLinkView | undefined> {
  const { rows } = await db.query<PortalLinkRow>(
    `UPDATE portal_links SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] && toView(rows[0]);
}

/** Whether a link was revoked (a link the table does not have counts as revoked: it was never made here). */
export async function isPortalLinkRevoked(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM portal_links WHERE id = $1', [id]);
  return rows[0]?.revoked ?? true;
}

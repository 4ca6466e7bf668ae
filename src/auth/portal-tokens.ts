/**
 * Portal link tokens: JWTs (HS256, jose) that act as a client key of one client, read-only or
 * not, until they expire. Their signing keys are derived (HKDF-SHA256) from the secrets key ring
 * (SECRETS_ENCRYPTION_KEYS), one per key of the ring with the same id: the first key signs, every
 * key verifies, so portal tokens rotate with the ring (add a key first, then drop the old one once
 * its tokens have expired — 7 days at the most). The token's header names its key (`kid`).
 */
import { hkdfSync } from 'node:crypto';
import type { KeyRing } from '../crypto/key-ring';
import { portalThemeSchema, type PortalCapabilities, type PortalTheme } from '../schemas/portal-link';

/** jose is an ES module: loaded once, on first use, with a dynamic import (this package is CommonJS). */
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
let josePromise: Promise<Jose> | undefined;
const jose = () => (josePromise ??= import('jose'));

const ISSUER = 'callhook';
export const PORTAL_AUDIENCE = 'callhook-portal';
const HKDF_INFO = 'callhook portal link tokens v1';

export interface PortalClaims {
  linkId: string;
  clientId: string;
  capabilities: PortalCapabilities;
  expiresAt: Date;
  theme: PortalTheme | null;
}

export class PortalTokenError extends Error {
  override readonly name = 'PortalTokenError';
  constructor(
    readonly reason: 'expired' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** Whether a bearer credential is shaped as a JWT (three base64url parts), not an API key. */
export function looksLikePortalToken(credential: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(credential);
}

export class PortalTokens {
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  private readonly currentId: string;

  constructor(ring: KeyRing) {
    this.keys = new Map(ring.keys.map(({ id, key }) => [id, new Uint8Array(hkdfSync('sha256', key, Buffer.alloc(0), HKDF_INFO, 32))]));
    this.currentId = ring.keys[0]!.id;
  }

  async sign(claims: PortalClaims): Promise<string> {
    const { SignJWT } = await jose();
    return new SignJWT({ cap: claims.capabilities, ...(claims.theme && { theme: claims.theme }) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: this.currentId })
      .setIssuer(ISSUER)
      .setAudience(PORTAL_AUDIENCE)
      .setSubject(claims.clientId)
      .setJti(claims.linkId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .sign(this.keys.get(this.currentId)!);
  }

  /** The token's claims; throws PortalTokenError (`expired`, or `invalid`: forged, re-signed, another audience, malformed). */
  async verify(token: string): Promise<PortalClaims> {
    const { decodeProtectedHeader, errors: joseErrors, jwtVerify } = await jose();
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new PortalTokenError('invalid', 'the portal token is malformed');
    }
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) throw new PortalTokenError('invalid', 'the portal token was not signed by this callhook');
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: PORTAL_AUDIENCE, algorithms: ['HS256'], requiredClaims: ['sub', 'jti', 'exp'] });
      const capabilities = payload.cap;
      const theme = payload.theme === undefined ? null : portalThemeSchema.safeParse(payload.theme);
      if ((capabilities !== 'read' && capabilities !== 'manage') || (theme !== null && !theme.success)) {
        throw new PortalTokenError('invalid', 'the portal token does not say what it may do');
      }
      return { linkId: payload.jti!, clientId: payload.sub!, capabilities, expiresAt: new Date(payload.exp! * 1000), theme: theme?.data ?? null };
    } catch (err) {
      if (err instanceof PortalTokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new PortalTokenError('expired', 'this portal link has expired');
      throw new PortalTokenError('invalid', 'the portal token is not valid');
    }
  }
}

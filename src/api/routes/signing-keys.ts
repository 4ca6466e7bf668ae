import { Router } from 'express';
import type { SigningKeyRing } from '../../destinations/signing/signing-keys';
import { RSA_HEADERS } from '../../destinations/signing/rsa';
import { ApiError } from '../errors';
import { requireAdmin } from '../auth/principal';

/** The file name the seeds' FastAPI receiver loads the key from. */
export const PUBLIC_KEY_FILENAME = 'recho_public_key.pem';

/**
 * The public half of the RSA keys rsa endpoints are signed with:
 * - GET  /v1/signing-key: the current public key as PEM, its id in `x-recho-key-id`;
 * - GET  /v1/signing-keys: every published key, the current one and those rotated out but within their overlap;
 * - POST /v1/signing-keys/rotate: a new current key (generated keys only; a configured key is rotated in the configuration).
 */
export function signingKeysRouter(deps: { signingKeys: SigningKeyRing }): Router {
  const router = Router();

  router.get('/v1/signing-key', (_req, res) => {
    const key = deps.signingKeys.current();
    res
      .type('application/x-pem-file')
      .set(RSA_HEADERS.keyId, key.id)
      .set('content-disposition', `inline; filename="${PUBLIC_KEY_FILENAME}"`)
      .set('cache-control', 'no-cache')
      .send(key.publicKeyPem);
  });

  router.get('/v1/signing-keys', (_req, res) => {
    const data = deps.signingKeys.publicKeys().map((k) => ({ id: k.id, publicKeyPem: k.publicKeyPem, status: k.status, expiresAt: k.expiresAt ?? null }));
    res.set('cache-control', 'no-cache').json({ data });
  });

  router.post('/v1/signing-keys/rotate', requireAdmin, (_req, res) => {
    if (deps.signingKeys.source === 'configured') {
      throw new ApiError(409, 'signing_key_configured', 'the signing key comes from SIGNING_KEY_PEM / SIGNING_KEY_FILE: rotate it there');
    }
    const key = deps.signingKeys.rotate();
    res.status(201).json({ id: key.id, publicKeyPem: key.publicKeyPem, status: 'current', expiresAt: null });
  });

  return router;
}

/**
 * The public half of the RSA keys rsa endpoints are signed with:
 * - GET  /v1/signing-key: the current public key as PEM, its id in `x-recho-key-id`;
 * - GET  /v1/signing-keys: every published key, the current one and those rotated out but within their overlap;
 * - POST /v1/signing-keys/rotate: a new current key (generated keys only; a configured key is rotated in the configuration).
 */
import { RSA_HEADERS } from '../../destinations/signing/rsa';
import { publishedSigningKeySchema, signingKeyListSchema } from '../../schemas/responses';
import { ApiError } from '../errors';
import { defineRoute } from '../route';

/** The file name the seeds' FastAPI receiver loads the key from. */
export const PUBLIC_KEY_FILENAME = 'recho_public_key.pem';

export const getSigningKeyRoute = defineRoute({
  method: 'get',
  path: '/v1/signing-key',
  operationId: 'getSigningKey',
  summary: 'The current RSA public key, as PEM',
  tag: 'signing keys',
  responses: [
    { status: 200, description: 'the public key', text: 'application/x-pem-file', headers: { 'x-recho-key-id': 'the key id, as in signed requests' } },
  ],
  handler: ({ res, reply }, deps) => {
    const key = deps.signingKeys.current();
    res.set(RSA_HEADERS.keyId, key.id).set('content-disposition', `inline; filename="${PUBLIC_KEY_FILENAME}"`).set('cache-control', 'no-cache');
    return reply(200, key.publicKeyPem);
  },
});

export const listSigningKeysRoute = defineRoute({
  method: 'get',
  path: '/v1/signing-keys',
  operationId: 'listSigningKeys',
  summary: 'Every published public key: the current one and those rotated out but within their overlap',
  tag: 'signing keys',
  responses: [{ status: 200, description: 'the published keys', schema: signingKeyListSchema }],
  handler: ({ res, reply }, deps) => {
    const data = deps.signingKeys.publicKeys().map((k) => ({ id: k.id, publicKeyPem: k.publicKeyPem, status: k.status, expiresAt: k.expiresAt ?? null }));
    res.set('cache-control', 'no-cache');
    return reply(200, { data });
  },
});

export const rotateSigningKeyRoute = defineRoute({
  method: 'post',
  path: '/v1/signing-keys/rotate',
  operationId: 'rotateSigningKey',
  summary: 'A new current signing key (generated keys only)',
  tag: 'signing keys',
  admin: true,
  responses: [{ status: 201, description: 'the new current key', schema: publishedSigningKeySchema }],
  errors: { 409: 'the key comes from SIGNING_KEY_PEM / SIGNING_KEY_FILE: rotate it there' },
  handler: ({ reply }, deps) => {
    if (deps.signingKeys.source === 'configured') {
      throw new ApiError(409, 'signing_key_configured', 'the signing key comes from SIGNING_KEY_PEM / SIGNING_KEY_FILE: rotate it there');
    }
    const key = deps.signingKeys.rotate();
    return reply(201, { id: key.id, publicKeyPem: key.publicKeyPem, status: 'current', expiresAt: null });
  },
});

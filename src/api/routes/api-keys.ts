import { Router } from 'express';
import type { Pool } from '../../db/pool';
import { listApiKeys, revokeApiKey } from '../../db/api-keys-repo';
import { createApiKey } from '../../auth/api-keys';
import { apiKeyIdParams, createApiKeySchema, listApiKeysQuery } from '../../schemas/api-key';
import { notFound } from '../errors';
import { requireAdmin } from '../auth/principal';
import { parse } from '../validate';

/**
 * Key management, admin keys only: create (the key is in this response only), list, revoke.
 * A revoked key stops working at once on this process, within the key cache's 5 s on others.
 */
export function apiKeysRouter(deps: { pool: Pool; forget(keyId: string): void }): Router {
  const router = Router();
  router.use(requireAdmin);

  router.post('/', async (req, res) => {
    const body = parse(createApiKeySchema, req.body, 'body');
    const { record, key } = await createApiKey(deps.pool, body);
    res.status(201).location(`/v1/api-keys/${record.id}`).json({ ...record, key });
  });

  router.get('/', async (req, res) => {
    const query = parse(listApiKeysQuery, req.query, 'query');
    const data = await listApiKeys(deps.pool, query);
    res.json({ data, nextCursor: data.length === query.limit ? data[data.length - 1]!.id : null });
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parse(apiKeyIdParams, req.params, 'path');
    const revoked = await revokeApiKey(deps.pool, id);
    if (!revoked) throw notFound('API key', id);
    deps.forget(id);
    res.json(revoked);
  });

  return router;
}

/**
 * Key management, admin keys only: create (the key is in this response only), list, revoke.
 * A revoked key stops working at once on this process, within the key cache's 5 s on others.
 */
import { listApiKeys, revokeApiKey } from '../../db/api-keys-repo';
import { createApiKey } from '../../auth/api-keys';
import { apiKeyIdParams, createApiKeySchema, listApiKeysQuery } from '../../schemas/api-key';
import { apiKeyListSchema, apiKeySchema, createdApiKeySchema } from '../../schemas/responses';
import { notFound } from '../errors';
import { defineRoute } from '../route';

export const createApiKeyRoute = defineRoute({
  method: 'post',
  path: '/v1/api-keys',
  operationId: 'createApiKey',
  summary: 'Create an API key (admin keys only)',
  description: 'A client key acts for one clientId; an admin key for every client. The key is in this response only.',
  tag: 'api keys',
  admin: true,
  body: { schema: createApiKeySchema, required: true },
  responses: [{ status: 201, description: 'created', schema: createdApiKeySchema, headers: { location: 'the new key: `/v1/api-keys/{id}`' } }],
  handler: async ({ body, res, reply }, deps) => {
    const { record, key } = await createApiKey(deps.pool, body);
    res.location(`/v1/api-keys/${record.id}`);
    return reply(201, { ...record, key });
  },
});

export const listApiKeysRoute = defineRoute({
  method: 'get',
  path: '/v1/api-keys',
  operationId: 'listApiKeys',
  summary: 'List API keys, without the keys (admin keys only)',
  tag: 'api keys',
  admin: true,
  query: listApiKeysQuery,
  responses: [{ status: 200, description: 'a page of keys', schema: apiKeyListSchema }],
  handler: async ({ query, reply }, deps) => {
    const data = await listApiKeys(deps.pool, query);
    return reply(200, { data, nextCursor: data.length === query.limit ? data[data.length - 1]!.id : null });
  },
});

export const revokeApiKeyRoute = defineRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  operationId: 'revokeApiKey',
  summary: 'Revoke an API key (admin keys only)',
  description: 'At once on the API process that answers; within 5 s on other API processes (their key cache).',
  tag: 'api keys',
  admin: true,
  params: apiKeyIdParams,
  responses: [{ status: 200, description: 'the revoked key', schema: apiKeySchema }],
  errors: { 404: 'no such key' },
  handler: async ({ params: { id }, reply }, deps) => {
    const revoked = await revokeApiKey(deps.pool, id);
    if (!revoked) throw notFound('API key', id);
    deps.forgetApiKey(id);
    return reply(200, revoked);
  },
});

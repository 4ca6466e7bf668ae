import { z } from 'zod';

export const clientIdSchema = z.string().min(1).max(200);

export const createApiKeySchema = z
  .object({
    kind: z.enum(['client', 'admin']).describe('client: acts for clientId only; admin: for every client'),
    clientId: clientIdSchema.optional().describe('required for a client key; an admin key takes none'),
    name: z.string().trim().min(1).max(200).describe('what the key is for, e.g. "crm"'),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.kind === 'client' && body.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'a client key needs clientId' });
    if (body.kind === 'admin' && body.clientId !== undefined) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'an admin key acts for every client; give no clientId' });
  });

export const apiKeyIdParams = z.object({ id: z.string().regex(/^key_[0-9a-f]{24}$/, 'not an API key id') });

export const listApiKeysQuery = z
  .object({
    clientId: clientIdSchema.optional(),
    includeRevoked: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: z.string().max(100).optional().describe('cursor: nextCursor of the previous page'),
  })
  .strict();

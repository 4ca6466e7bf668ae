/**
 * `GET /v1/calls/{callId}/deliveries`: a call's delivery log, in order, with attempts. The call's
 * path parameter and the visibility check every call route shares are here too.
 */
import type { Response } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { callClientId } from '../../db/events-repo';
import { callDataSchema } from '../../schemas/call-event';
import { callDeliveriesSchema } from '../../schemas/responses';
import { principalOf } from '../auth/principal';
import { notFound } from '../errors';
import { defineRoute } from '../route';

export const callIdParams = z.object({ callId: callDataSchema.shape.callId });

const callDeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(1000),
    after: z.string().regex(/^\d{1,18}$/, 'not a cursor').optional().describe('cursor: nextCursor of the previous page'),
  })
  .strict();

/** 404 unless the request's key may see the call: a client key sees the calls of its own client only. */
export async function assertCallVisible(db: Pool, res: Response, callId: string): Promise<void> {
  const principal = principalOf(res);
  if (principal.role === 'admin') return;
  if ((await callClientId(db, callId)) !== principal.clientId) throw notFound('call', callId);
}

export const listCallDeliveriesRoute = defineRoute({
  method: 'get',
  path: '/v1/calls/{callId}/deliveries',
  operationId: 'listCallDeliveries',
  summary: "The call's delivery log, in order, with attempts",
  tag: 'calls',
  params: callIdParams,
  query: callDeliveriesQuery,
  responses: [{ status: 200, description: 'a page of the delivery log (empty for a call unknown to an admin key)', schema: callDeliveriesSchema }],
  errors: { 400: 'the callId is not valid', 404: "a client key: the call is unknown or another client's" },
  handler: async ({ params: { callId }, query, res, reply }, deps) => {
    await assertCallVisible(deps.pool, res, callId);
    const log = await listDeliveryLog(deps.pool, { callId, ...query });
    return reply(200, {
      callId,
      data: log.map(({ cursor: _cursor, ...entry }) => entry),
      nextCursor: log.length === query.limit ? log[log.length - 1]!.cursor : null,
    });
  },
});

import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { callClientId } from '../../db/events-repo';
import { callDataSchema } from '../../schemas/call-event';
import { principalOf } from '../auth/principal';
import { notFound } from '../errors';
import { parse } from '../validate';

export const callIdParams = z.object({ callId: callDataSchema.shape.callId });

export const callDeliveriesQuery = z
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

export function callsRouter(deps: { pool: Pool }): Router {
  const router = Router();
  router.get('/:callId/deliveries', async (req, res) => {
    const { callId } = parse(callIdParams, req.params, 'path');
    const query = parse(callDeliveriesQuery, req.query, 'query');
    await assertCallVisible(deps.pool, res, callId);
    const log = await listDeliveryLog(deps.pool, { callId, ...query });
    res.json({
      callId,
      data: log.map(({ cursor: _cursor, ...entry }) => entry),
      nextCursor: log.length === query.limit ? log[log.length - 1]!.cursor : null,
    });
  });
  return router;
}

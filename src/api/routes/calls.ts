import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { callDataSchema } from '../../schemas/call-event';
import { parse } from '../validate';

export const callIdParams = z.object({ callId: callDataSchema.shape.callId });

export function callsRouter(deps: { pool: Pool }): Router {
  const router = Router();
  router.get('/:callId/deliveries', async (req, res) => {
    const { callId } = parse(callIdParams, req.params, 'path');
    const log = await listDeliveryLog(deps.pool, { callId });
    res.json({ callId, data: log.map(({ cursor: _cursor, ...entry }) => entry) });
  });
  return router;
}

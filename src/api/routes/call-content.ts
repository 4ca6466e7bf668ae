/**
 * `DELETE /v1/calls/:callId/content`: erases a call's content (src/erasure/erase-call.ts). An admin key, or a client
 * key of the call's client (another client's call answers 404, as everywhere). Idempotent: again, the same answer
 * with every count 0.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { ErasureTemporalError, eraseCall } from '../../erasure/erase-call';
import { logger } from '../../observability/logger';
import { principalOf } from '../auth/principal';
import { ApiError, notFound } from '../errors';
import { parse } from '../validate';
import { assertCallVisible, callIdParams } from './calls';

export interface CallContentDeps {
  pool: Pool;
  temporal: Client;
  /** Whether payload encryption is on (PAYLOAD_ENCRYPTION_KEY): then erasing destroys the call's history keys. */
  historyEncrypted: boolean;
  /** How long each Temporal call may take before the API answers 503. */
  temporalTimeoutMs: number;
}

export function callContentRouter(deps: CallContentDeps): Router {
  const router = Router();
  router.delete('/:callId/content', async (req, res) => {
    const { callId } = parse(callIdParams, req.params, 'path');
    await assertCallVisible(deps.pool, res, callId);
    const principal = principalOf(res);
    const source = principal.keyId ? `api-key:${principal.keyId}` : 'api';
    let erased;
    try {
      erased = await eraseCall(
        { pool: deps.pool, temporal: deps.temporal, logger, historyEncrypted: deps.historyEncrypted, temporalTimeoutMs: deps.temporalTimeoutMs },
        callId,
        source,
      );
    } catch (err) {
      if (!(err instanceof ErasureTemporalError)) throw err;
      throw new ApiError(
        503,
        'temporal_unavailable',
        "the call's content was erased in Postgres, but its workflow could not be stopped: Temporal is unreachable; erase it again later",
      );
    }
    // A call exists once it has an event (an admin naming a call nobody sent).
    if (!erased) throw notFound('call', callId);
    res.json(erased);
  });
  return router;
}

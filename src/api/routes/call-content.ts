/**
 * `DELETE /v1/calls/{callId}/content`: erases a call's content (src/erasure/erase-call.ts). An admin key, or a client
 * key of the call's client (another client's call answers 404, as everywhere). Idempotent: again, the same answer
 * with every count 0.
 */
import { ErasureTemporalError, eraseCall } from '../../erasure/erase-call';
import { logger } from '../../observability/logger';
import { callErasureSchema } from '../../schemas/responses';
import { principalOf } from '../auth/principal';
import { ApiError, notFound } from '../errors';
import { defineRoute } from '../route';
import { assertCallVisible, callIdParams } from './calls';

export const eraseCallContentRoute = defineRoute({
  method: 'delete',
  path: '/v1/calls/{callId}/content',
  operationId: 'eraseCallContent',
  summary: "Erase a call's content: its event bodies, what quotes them, and (with payload encryption) its Temporal history",
  description:
    "Removes the body of every event of the call from Postgres, and everything derived from it: validation errors, the attempts' response excerpts and error texts, the deliveries' last errors. The delivery log keeps ids, event types, times, status codes and statuses; the events show `body: null` and `erasedAt`. Deliveries still pending end as skipped (`the call's content was erased`), and the call's workflow is stopped: nothing more is sent. With PAYLOAD_ENCRYPTION_KEY the call's payloads in Temporal history were encrypted under a data key of its own, which is destroyed: the history no longer decodes anywhere (`history: crypto-shredded`); without it the history stays readable until the namespace's retention (`history: not-encrypted`). Idempotent: erasing again answers the same with every count 0. A client key may erase its own client's calls.",
  tag: 'calls',
  params: callIdParams,
  responses: [{ status: 200, description: 'erased: what this request removed', schema: callErasureSchema }],
  errors: {
    404: "the call has no event (or it is another client's)",
    503: "Postgres is unreachable (nothing was erased), or Temporal is (the content is erased in Postgres, the workflow not stopped yet): erase it again later",
  },
  handler: async ({ params: { callId }, res, reply }, deps) => {
    await assertCallVisible(deps.pool, res, callId);
    const principal = principalOf(res);
    const source = principal.keyId ? `api-key:${principal.keyId}` : 'api';
    let erased;
    try {
      erased = await eraseCall(
        { pool: deps.pool, temporal: deps.temporal, logger, historyEncrypted: deps.historyEncrypted, temporalTimeoutMs: deps.signalTimeoutMs },
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
    return reply(200, erased);
  },
});

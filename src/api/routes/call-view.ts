/**
 * `GET /v1/calls/{callId}`: one call as the Webhooks page shows it: a page of its events in the
 * order they were received, the deliveries of those events (with attempts and operator actions),
 * and a link to its workflow in the Temporal Web UI. A client key sees its own client's calls only.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { callClientId, listCallEvents } from '../../db/events-repo';
import { callErasedAt } from '../../db/erasure-repo';
import { eventIdSchema } from '../../schemas/call-event';
import { callViewSchema } from '../../schemas/responses';
import { notFound } from '../errors';
import { defineRoute } from '../route';
import { assertCallVisible, callIdParams } from './calls';
import { WorkflowNotFoundError } from '@temporalio/client';
import { logger } from '../../observability/logger';
import type { RejectedMessage } from '../../schemas/call-workflow-messages';
import { stateQuery } from '../../workflows/messages';

/** How long the call view waits for the workflow's answer before it leaves `rejected` out (null). */
const STATE_QUERY_TIMEOUT_MS = 2_000;

/** The messages the call's workflow refused lately (its state query); [] when it has none; null when it cannot be asked now. */
async function rejectedMessages(temporal: Client, callId: string): Promise<RejectedMessage[] | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STATE_QUERY_TIMEOUT_MS} ms`)), STATE_QUERY_TIMEOUT_MS);
    });
    const state = await Promise.race([temporal.workflow.getHandle(callId).query(stateQuery), timeout]);
    return state.rejected ?? [];
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    logger.warn({ err, callId }, 'call view: could not ask the call workflow what it refused');
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const callViewQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(100).describe('events per page'),
    after: eventIdSchema.optional().describe('cursor: nextCursor of the previous page (an event id)'),
  })
  .strict();

/** The call's workflow (workflow id = callId) in the Temporal Web UI. */
export function workflowUrl(temporalUiUrl: string, namespace: string, callId: string): string {
  return `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(callId)}`;
}

export const getCallRoute = defineRoute({
  method: 'get',
  path: '/v1/calls/{callId}',
  operationId: 'getCall',
  summary: "A call: a page of its events in order, their deliveries, and its workflow in the Temporal Web UI",
  tag: 'calls',
  params: callIdParams,
  query: callViewQuery,
  responses: [{ status: 200, description: 'the call', schema: callViewSchema }],
  errors: { 404: "the call has no event (or it is another client's)" },
  handler: async ({ params: { callId }, query, res, reply }, deps) => {
    await assertCallVisible(deps.pool, res, callId);
    const clientId = await callClientId(deps.pool, callId);
    // An admin asking for a call nobody sent: 404 as well (a call exists once it has an event).
    if (clientId === undefined) throw notFound('call', callId);
    const [events, erasedAt] = await Promise.all([listCallEvents(deps.pool, callId, query), callErasedAt(deps.pool, callId)]);
    const [deliveries, rejected] = await Promise.all([
      events.length === 0 ? [] : listDeliveryLog(deps.pool, { callId, eventIds: events.map((e) => e.id) }),
      // An erased call's workflow was stopped and its history cannot be read (its data key is gone): not asked.
      erasedAt === null ? rejectedMessages(deps.temporal, callId) : null,
    ]);
    return reply(200, {
      callId,
      clientId,
      workflowUrl: deps.temporalUiUrl ? workflowUrl(deps.temporalUiUrl, deps.temporal.options.namespace, callId) : null,
      events,
      deliveries: deliveries.map(({ cursor: _cursor, ...entry }) => entry),
      rejected,
      erasedAt,
      nextCursor: events.length === query.limit ? events[events.length - 1]!.id : null,
    });
  },
});

/**
 * `GET /v1/calls/:callId`: one call as the Webhooks page shows it: a page of its events in the
 * order they were received, the deliveries of those events (with attempts and operator actions),
 * and a link to its workflow in the Temporal Web UI. A client key sees its own client's calls only.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { callClientId, listCallEvents } from '../../db/events-repo';
import { eventIdSchema } from '../../schemas/call-event';
import { notFound } from '../errors';
import { parse } from '../validate';
import { assertCallVisible, callIdParams } from './calls';

export const callViewQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(100).describe('events per page'),
    after: eventIdSchema.optional().describe('cursor: nextCursor of the previous page (an event id)'),
  })
  .strict();

export interface CallViewDeps {
  pool: Pool;
  /** The Temporal client: its namespace goes into the workflow link. */
  temporal: Client;
  /** The Temporal Web UI (TEMPORAL_UI_URL), without a trailing slash; absent: no link. */
  temporalUiUrl?: string | undefined;
}

/** The call's workflow (workflow id = callId) in the Temporal Web UI. */
export function workflowUrl(temporalUiUrl: string, namespace: string, callId: string): string {
  return `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(callId)}`;
}

export function callViewRouter(deps: CallViewDeps): Router {
  const router = Router();
  router.get('/:callId', async (req, res) => {
    const { callId } = parse(callIdParams, req.params, 'path');
    const query = parse(callViewQuery, req.query, 'query');
    await assertCallVisible(deps.pool, res, callId);
    const clientId = await callClientId(deps.pool, callId);
    // An admin asking for a call nobody sent: 404 as well (a call exists once it has an event).
    if (clientId === undefined) throw notFound('call', callId);
    const events = await listCallEvents(deps.pool, callId, query);
    const deliveries = events.length === 0 ? [] : await listDeliveryLog(deps.pool, { callId, eventIds: events.map((e) => e.id) });
    res.json({
      callId,
      clientId,
      workflowUrl: deps.temporalUiUrl ? workflowUrl(deps.temporalUiUrl, deps.temporal.options.namespace, callId) : null,
      events,
      deliveries: deliveries.map(({ cursor: _cursor, ...entry }) => entry),
      nextCursor: events.length === query.limit ? events[events.length - 1]!.id : null,
    });
  });
  return router;
}

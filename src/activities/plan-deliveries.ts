import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { claimEventForPlanning, insertEvent } from '../db/events-repo';
import { findSubscribedEndpoints, getEndpoint } from '../db/endpoints-repo';
import type { Endpoint } from '../schemas/endpoint';
import { insertDeliveries, type PlannedDelivery } from '../db/deliveries-repo';
import { deliveryId } from '../ids';
import type { CallEvent } from '../schemas/call-event';

export interface DeliveryPlan {
  /** The event was already planned by another workflow run: deliver nothing again. */
  duplicate: boolean;
  deliveries: PlannedDelivery[];
}

/**
 * Stores the event (when it came straight from a Temporal client rather than the API), finds
 * the endpoints subscribed to it now (or the one endpoint a test event targets), and records
 * one pending delivery per endpoint. Idempotent
 * for the same run, so an activity retry plans the same deliveries.
 */
export async function planDeliveries(pool: Pool, event: CallEvent, runId: string): Promise<DeliveryPlan> {
  return inTransaction(pool, async (db) => {
    await insertEvent(db, event);
    if (!(await claimEventForPlanning(db, event.id, runId))) return { duplicate: true, deliveries: [] };
    const endpoints = event.targetEndpointId
      ? [await getEndpoint(db, event.targetEndpointId)].filter((e): e is Endpoint => e !== undefined)
      : await findSubscribedEndpoints(db, event.body.data.clientId, event.eventType);
    const deliveries: PlannedDelivery[] = endpoints.map((endpoint) => ({
      deliveryId: deliveryId(event.id, endpoint.id),
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.eventType,
      kind: endpoint.kind,
    }));
    await insertDeliveries(db, event, deliveries.map((d) => ({ id: d.deliveryId, endpointId: d.endpointId })));
    return { duplicate: false, deliveries };
  });
}

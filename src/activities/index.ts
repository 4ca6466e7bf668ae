import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { countAttempts, markDeliveryFailed } from '../db/deliveries-repo';
import type { DeliverySettings } from '../delivery-settings';
import type { DestinationRegistry } from '../destinations/destination';
import type { Logger } from '../logger';
import type { CallEvent } from '../schemas/call-event';
import { deliver, type DeliverInput } from './deliver';
import { planDeliveries } from './plan-deliveries';
import { deliveriesEnded } from '../metrics';
import { planRedelivery, skipDelivery } from './operator-actions';
import type { RedeliveryFilter } from '../db/deliveries-repo';

export interface ActivityDeps {
  pool: Pool;
  /** Lets a failed attempt tell its call's workflow at once (DeliveryState "retrying"); optional. */
  temporal?: Client;
  destinations: DestinationRegistry;
  settings: DeliverySettings;
  logger: Logger;
}

/** The activities, bound to real dependencies: the worker and the tests build them the same way. */
export function createActivities(deps: ActivityDeps) {
  return {
    async loadDeliverySettings(): Promise<DeliverySettings> {
      return deps.settings;
    },
    async planDeliveries(event: CallEvent, runId: string) {
      return planDeliveries(deps.pool, event, runId);
    },
    async deliver(input: DeliverInput) {
      return deliver({ ...deps, attemptTimeoutMs: deps.settings.attemptTimeoutMs }, input);
    },
    async markFailed(deliveryId: string, reason: string): Promise<void> {
      const kind = await markDeliveryFailed(deps.pool, deliveryId, reason);
      if (kind) deliveriesEnded.inc({ kind, outcome: 'failed' });
      deps.logger.warn({ deliveryId, reason, workflowId: Context.current().info.workflowExecution?.workflowId }, 'delivery failed finally');
    },
    async countAttempts(deliveryId: string): Promise<number> {
      return countAttempts(deps.pool, deliveryId);
    },
    async planRedelivery(callId: string, filter: RedeliveryFilter, source: string) {
      const plan = await planRedelivery(deps.pool, callId, filter, source);
      deps.logger.info({ callId, filter, source, deliveries: plan.deliveries.map((d) => d.deliveryId) }, 'redelivery requested');
      return plan;
    },
    async skipDelivery(deliveryId: string, source: string, reason: string | null): Promise<boolean> {
      const skipped = await skipDelivery(deps.pool, deliveryId, source, reason);
      deps.logger.warn({ deliveryId, source, reason, skipped }, 'delivery skipped by operator');
      return skipped;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

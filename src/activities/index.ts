import { Context } from '@temporalio/activity';
import type { Pool } from '../db/pool';
import { countAttempts, markDeliveryFailed } from '../db/deliveries-repo';
import type { DeliverySettings } from '../delivery-settings';
import type { DestinationRegistry } from '../destinations/destination';
import type { Logger } from '../logger';
import type { CallEvent } from '../schemas/call-event';
import { deliver, type DeliverInput } from './deliver';
import { planDeliveries } from './plan-deliveries';

export interface ActivityDeps {
  pool: Pool;
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
      await markDeliveryFailed(deps.pool, deliveryId, reason);
      deps.logger.warn({ deliveryId, reason, workflowId: Context.current().info.workflowExecution?.workflowId }, 'delivery failed finally');
    },
    async countAttempts(deliveryId: string): Promise<number> {
      return countAttempts(deps.pool, deliveryId);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

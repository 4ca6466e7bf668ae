/**
 * What one attempt tells of its endpoint's health, across calls: a success closes its circuit; a
 * failure counts toward opening it; a 410 Gone, or every delivery failing for
 * ENDPOINT_DISABLE_AFTER, disables the endpoint and tells its client (WEBHOOK_ENDPOINT_DISABLED).
 */
import type { Client } from '@temporalio/client';
import { countFailure, countSuccess } from '../db/endpoint-circuit-repo';
import { disableEndpoint, type EndpointDisabled } from '../db/endpoint-state-repo';
import type { DeliveryContext } from '../db/deliveries-repo';
import type { Pool } from '../db/pool';
import type { EndpointHealthSettings } from '../endpoint-health-settings';
import { ENDPOINT_DISABLED_EVENT } from '../event-types';
import type { Logger } from '../logger';
import { circuitTransitions, endpointsDisabled } from '../metrics';
import type { AttemptResult } from '../destinations/destination';
import { callEventSignal } from '../workflows/messages';
import { wakeHeldCallsSoon } from './wake-held-calls';

export interface HealthDeps {
  pool: Pool;
  temporal?: Client;
  health: EndpointHealthSettings;
  logger: Logger;
}

export async function countAttemptHealth(deps: HealthDeps, ctx: DeliveryContext, result: AttemptResult): Promise<void> {
  const { endpoint, circuit } = ctx;
  if (result.outcome === 'succeeded') {
    // Nothing to write while the endpoint has not failed since its last success (as its context read it).
    if (circuit.failingSince === null && circuit.state === 'closed') return;
    const was = await countSuccess(deps.pool, endpoint.id);
    if (was === 'open' || was === 'probing') {
      circuitTransitions.inc({ to: 'closed' });
      deps.logger.info({ endpointId: endpoint.id, deliveryId: ctx.deliveryId }, 'endpoint circuit closed: an attempt succeeded');
      // Without keeping this delivery waiting for them.
      if (deps.temporal) wakeHeldCallsSoon({ pool: deps.pool, temporal: deps.temporal, logger: deps.logger }, endpoint.id);
    }
    return;
  }
  let disabled = result.statusCode === 410 ? await disableEndpoint(deps.pool, endpoint.id, 'answered 410 Gone') : undefined;
  if (disabled) endpointsDisabled.inc({ cause: 'gone' });
  const counted = await countFailure(deps.pool, {
    endpointId: endpoint.id,
    callId: ctx.callId,
    deliveryId: ctx.deliveryId,
    retryable: result.outcome === 'retryable',
    threshold: deps.health.circuitBreakerCalls,
    cooldownMs: deps.health.circuitCooldownMs,
  });
  if (counted.opened) {
    circuitTransitions.inc({ to: 'open' });
    deps.logger.warn(
      { endpointId: endpoint.id, failingCalls: counted.failingCalls, failingSince: counted.failingSince, cooldownMs: deps.health.circuitCooldownMs },
      'endpoint circuit opened: no attempts until one probe after the cool-down',
    );
  }
  const failingForMs = Date.now() - counted.failingSince.getTime();
  if (!disabled && deps.health.disableAfterMs > 0 && failingForMs >= deps.health.disableAfterMs) {
    disabled = await disableEndpoint(deps.pool, endpoint.id, `every delivery failed since ${counted.failingSince.toISOString()} (ENDPOINT_DISABLE_AFTER)`);
    if (disabled) endpointsDisabled.inc({ cause: 'failing' });
  }
  if (disabled) await announceDisabled(deps, ctx, disabled);
}

/**
 * Tells the client: a WEBHOOK_ENDPOINT_DISABLED event, signalled to the call whose attempt disabled
 * the endpoint, goes to the client's endpoints subscribed to it (the disabled one is not among them).
 */
async function announceDisabled(deps: HealthDeps, ctx: DeliveryContext, disabled: EndpointDisabled): Promise<void> {
  deps.logger.warn({ endpointId: disabled.endpointId, reason: disabled.reason, callId: ctx.callId }, 'endpoint disabled');
  if (!deps.temporal) return;
  const event = {
    id: `whdisabled_${disabled.endpointId}_${Date.parse(disabled.disabledAt)}`,
    eventType: ENDPOINT_DISABLED_EVENT,
    occurredAt: disabled.disabledAt,
    body: {
      data: { callId: ctx.callId, clientId: disabled.clientId, endpointId: disabled.endpointId, reason: disabled.reason, disabledAt: disabled.disabledAt },
      errors: [{ code: 'ENDPOINT_DISABLED', message: disabled.reason, phase: 'DELIVERY' }],
    },
  };
  try {
    await deps.temporal.workflow.getHandle(ctx.callId).signal(callEventSignal, event);
  } catch (err) {
    // The endpoint stays disabled (its view says why); only the notice is lost.
    deps.logger.error({ err, endpointId: disabled.endpointId, callId: ctx.callId }, 'could not send the WEBHOOK_ENDPOINT_DISABLED event');
  }
}

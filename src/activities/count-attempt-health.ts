/**
 * What one attempt tells of its endpoint's health, across calls: a success closes its circuit; a
 * failure counts toward opening it; a 410 Gone, or every delivery failing for
 * ENDPOINT_DISABLE_AFTER, disables the endpoint and tells its client (WEBHOOK_ENDPOINT_DISABLED).
 */
import { countFailure, countSuccess } from '../db/endpoint-circuit-repo';
import { disableEndpoint, type EndpointDisabled } from '../db/endpoint-state-repo';
import type { DeliveryContext } from '../db/deliveries-repo';
import type { Pool } from '../db/pool';
import type { EndpointHealthSettings } from '../config/endpoint-health-settings';
import { ENDPOINT_DISABLED_EVENT } from '../domain/event-types';
import type { Logger } from '../observability/logger';
import type { CallEvent } from '../schemas/call-event';
import { circuitTransitions, endpointsDisabled } from '../observability/metrics';
import type { AttemptResult } from '../destinations/destination';
import { planEvents } from '../db/lanes-repo';
import { wakeHeldCallsSoon, type OutboxNudge } from '../outbox/wake-held-calls';

export interface HealthDeps {
  pool: Pool;
  /** The outbox relay of this process, told of the wake-ups and notices queued (absent: another process's relay polls). */
  outbox?: OutboxNudge | undefined;
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
      wakeHeldCallsSoon(deps, endpoint.id);
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
 * Tells the client: a WEBHOOK_ENDPOINT_DISABLED event of the call whose attempt disabled the
 * endpoint goes to the client's endpoints subscribed to it (the disabled one is not among them).
 * It is stored and planned here, in the outbox: the relay signals it to the call, so it is not lost
 * while Temporal is away. A failure to store it fails this attempt's bookkeeping (retried).
 */
async function announceDisabled(deps: HealthDeps, ctx: DeliveryContext, disabled: EndpointDisabled): Promise<void> {
  deps.logger.warn({ endpointId: disabled.endpointId, reason: disabled.reason, callId: ctx.callId }, 'endpoint disabled');
  const event: CallEvent = {
    id: `whdisabled_${disabled.endpointId}_${Date.parse(disabled.disabledAt)}`,
    eventType: ENDPOINT_DISABLED_EVENT,
    occurredAt: disabled.disabledAt,
    body: {
      data: { callId: ctx.callId, clientId: disabled.clientId, endpointId: disabled.endpointId, reason: disabled.reason, disabledAt: disabled.disabledAt },
      errors: [{ code: 'ENDPOINT_DISABLED', message: disabled.reason, phase: 'DELIVERY' }],
    },
  };
  try {
    await planEvents(deps.pool, [event], `notice/${event.id}`, { outbox: true });
    deps.outbox?.nudge();
  } catch (err) {
    // Postgres failed between disabling the endpoint and storing the notice: the endpoint stays disabled (its view says why).
    deps.logger.error({ err, endpointId: disabled.endpointId, callId: ctx.callId }, 'could not store the WEBHOOK_ENDPOINT_DISABLED event');
  }
}

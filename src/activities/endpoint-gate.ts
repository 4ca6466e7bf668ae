/**
 * Whether a delivery may be attempted now, as its endpoint's state says: paused, its circuit open
 * (another delivery probes it), or its rate limit reached. A delivery that may not is held: no
 * attempt is made or counted, and the lane waits (see src/workflows/lanes.ts) until the endpoint
 * may be sent to again. Paused and circuit holds note the call in endpoint_holds, so resuming or
 * closing the circuit wakes it at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { claimProbe } from '../db/endpoint-circuit-repo';
import { reserveSlot } from '../db/endpoint-pacing-repo';
import { holdCall, holdCallWhilePaused } from '../db/endpoint-state-repo';
import type { DeliveryContext } from '../db/deliveries-repo';
import type { Pool } from '../db/pool';
import type { EndpointHealthSettings } from '../config/endpoint-health-settings';
import { isTestEvent } from '../domain/event-types';
import { deliveriesHeld } from '../observability/metrics';
import type { Hold } from '../workflows/messages';

/** Longest an activity waits in-process for a rate-limit slot; a later slot holds the lane with a durable timer instead. */
const MAX_PACING_WAIT_MS = 1_000;

export interface GateDeps {
  pool: Pool;
  health: EndpointHealthSettings;
  /** How long a probe may take before another delivery may claim it (its activity's timeout). */
  probeForMs: number;
}

export async function passGate(deps: GateDeps, ctx: DeliveryContext, cancel: AbortSignal): Promise<Hold | null> {
  const hold = await holdFor(deps, ctx, cancel);
  if (hold) deliveriesHeld.inc({ reason: hold.reason });
  return hold;
}

async function holdFor(deps: GateDeps, ctx: DeliveryContext, cancel: AbortSignal): Promise<Hold | null> {
  const { endpoint, circuit } = ctx;
  // A test event (or a type's example sent as one) is how one checks an endpoint (even a paused or disabled one): never held.
  if (isTestEvent(ctx.event)) return null;
  // Resumed since the delivery's endpoint was read (a batch reads it at most a second earlier): not held.
  if (endpoint.pausedAt && (await holdCallWhilePaused(deps.pool, endpoint.id, ctx.callId))) {
    return { reason: 'paused', message: `endpoint ${endpoint.id} is paused${endpoint.pausedBy ? ` (by ${endpoint.pausedBy})` : ''}`, until: null };
  }
  if (deps.health.circuitBreakerCalls > 0 && circuit.state !== 'closed') {
    const probing = circuit.state === 'probing';
    const mine = probing && circuit.probeDeliveryId === ctx.deliveryId;
    const due = (probing ? circuit.probeUntil : circuit.retryAt)?.getTime() ?? 0;
    const claimed = !mine && due > Date.now() ? false : await claimProbe(deps.pool, endpoint.id, ctx.deliveryId, deps.probeForMs);
    if (!claimed) {
      await holdCall(deps.pool, endpoint.id, ctx.callId);
      // Another delivery probes it (its success wakes this call), or the cool-down has yet to end.
      const probed = probing || due <= Date.now();
      return {
        reason: 'circuit_open',
        message: `endpoint ${endpoint.id}'s circuit is open (failing in many calls): ${probed ? 'another delivery probes it' : `one probe goes at ${new Date(due).toISOString()}`}`,
        until: probed ? Date.now() + deps.probeForMs : due,
      };
    }
  }
  if (endpoint.rateLimit !== null) {
    const slot = await reserveSlot(deps.pool, endpoint.id, endpoint.rateLimit, MAX_PACING_WAIT_MS);
    if (!slot.granted) {
      return { reason: 'rate_limited', message: `endpoint ${endpoint.id} takes at most ${endpoint.rateLimit} requests/s`, until: slot.nextAt - MAX_PACING_WAIT_MS };
    }
    const wait = slot.slotAt - Date.now();
    // An abort (skip, continue-as-new) ends the wait early; the caller sees `cancel.aborted` and stops.
    if (wait > 0) await sleep(wait, undefined, { signal: cancel }).catch((err: unknown) => {
      if (!cancel.aborted) throw err;
    });
  }
  return null;
}

/**
 * `fan-out`: BENCH_FAN_OUT_ENDPOINTS endpoints (10, each its own receiver) subscribed to one
 * client; BENCH_FAN_OUT_CALLS calls (20) × BENCH_FAN_OUT_EVENTS events (10) → 2000 deliveries.
 * callhook runs one lane per endpoint; the floor one lane (activity) per endpoint; wire POSTs
 * each event to every receiver at once. Throughput is in deliveries per second.
 */
import { intEnv } from '../lib/config';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { outcomeNotes, perVariant, runsOf, standardRows, type Scenario } from '../lib/scenario';

export const fanOut: Scenario = {
  name: 'fan-out',
  title: 'Fan-out: many endpoints per client',
  async run(ctx) {
    const endpoints = intEnv('BENCH_FAN_OUT_ENDPOINTS', 10);
    const calls = intEnv('BENCH_FAN_OUT_CALLS', 20);
    const events = intEnv('BENCH_FAN_OUT_EVENTS', 10);
    const outcomes = await perVariant(ctx, (variant) =>
      ctx.measure(variant, 'fanout', { endpoints }, (target) => runCalls(target, callsOf(target.spec.tag, calls, events), ctx.limits)),
    );
    return {
      description: `${endpoints} endpoints × ${calls} calls × ${events} events = ${endpoints * calls * events} deliveries, calls in parallel. Latency is per delivery.`,
      params: { endpoints, calls, eventsPerCall: events },
      rows: standardRows(outcomes, { unit: 'deliveries/s' }),
      notes: outcomeNotes(outcomes),
      runs: runsOf('fan-out', outcomes),
    };
  },
};

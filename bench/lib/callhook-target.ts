/**
 * The system under test: events submitted through callhook's API (`POST /v1/events`, via
 * `Harness.emit`) for a client of their own, delivered by the real worker to custom endpoints
 * whose receivers are benchmark sinks. Latency runs from submission to arrival at the receiver.
 */
import type { Harness } from '../../test/helpers/harness';
import { DeliveryLog } from './delivery-log';
import { eventTypeOf } from './events';
import { Sink } from './sink';
import { terminateWorkflows } from './terminate';
import { range, sleep } from './stats';
import type { Target, TargetSpec } from './target';
import type { BenchEvent } from './types';

/** Longest wait for a healed failing endpoint to receive every event once. */
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Pauses before each retry of a refused submission. The API answers 503 when Temporal does not
 * take the signal in time, and asks for a retry with the same id (an idempotency key: the event
 * is still delivered once); a platform would do just that. Anything else refused (400, 409)
 * fails the same way every time and ends the run once these are used up.
 */
const SUBMIT_RETRY_PAUSES_MS = [250, 500, 1_000, 2_000, 4_000, 4_000, 4_000];

/** `apiBase`: where events are submitted (BENCH_API=apart: the API's own process); default the harness's API. */
export async function callhookTarget(h: Harness, spec: TargetSpec, apiBase?: string): Promise<Target> {
  const log = new DeliveryLog();
  const clientId = `bench-${spec.tag}`;
  const sinks = await Promise.all(range(spec.endpoints).map((index) => Sink.start(log, index)));
  const failing = spec.failing ? await Sink.start(new DeliveryLog(), 0, { failing: true }) : undefined;
  for (const sink of [...sinks, ...(failing ? [failing] : [])]) await h.createEndpoint({ clientId, url: sink.url });
  let submitted = 0;
  let retried = 0;
  const callIds = new Set<string>();
  return {
    variant: 'callhook',
    spec,
    log,
    get retriedSubmissions() {
      return retried;
    },
    async submit(event: BenchEvent) {
      callIds.add(event.callId);
      for (const pause of [...SUBMIT_RETRY_PAUSES_MS, undefined]) {
        try {
          if (apiBase) await submitTo(apiBase, { id: event.id, eventType: eventTypeOf(event), body: { data: { callId: event.callId, clientId, seq: event.seq } } });
          else await h.emit(event.callId, eventTypeOf(event), { id: event.id, clientId, data: { seq: event.seq } });
          break;
        } catch (err) {
          if (pause === undefined) throw err;
          retried++;
          await sleep(pause);
        }
      }
      submitted++;
    },
    async close(ended) {
      if (ended === 'failed') await terminateWorkflows(h.env.client, callIds, 'benchmark run failed');
      else if (failing) {
        // Let the failing endpoint's lanes run dry, so their retries do not spill into the next run.
        failing.heal();
        await failing.log.reached(submitted, DRAIN_TIMEOUT_MS);
      }
      await Promise.all([...sinks, ...(failing ? [failing] : [])].map((sink) => sink.stop()));
    },
  };
}

async function submitTo(base: string, event: object): Promise<void> {
  const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`event not accepted: ${response.status} ${text}`);
}

/**
 * The "wire" baseline: the receivers hit directly with fetch POSTs of the body callhook would
 * send. It measures loopback HTTP and the receiver alone — the least any webhook sender on this
 * machine could take. An event goes to every endpoint at once (one POST each); a failing
 * endpoint answers 503 and is not retried.
 */
import { DeliveryLog } from '../lib/delivery-log';
import { deliveredEvent } from '../lib/events';
import { Sink } from '../lib/sink';
import { range } from '../lib/stats';
import type { Target, TargetSpec } from '../lib/target';
import type { BenchEvent } from '../lib/types';

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.text();
}

export async function wireTarget(spec: TargetSpec): Promise<Target> {
  const log = new DeliveryLog();
  const clientId = `bench-${spec.tag}`;
  const sinks = await Promise.all(range(spec.endpoints).map((index) => Sink.start(log, index)));
  const failing = spec.failing ? await Sink.start(new DeliveryLog(), 0, { failing: true }) : undefined;
  const urls = [...sinks, ...(failing ? [failing] : [])].map((sink) => sink.url);
  return {
    variant: 'wire',
    spec,
    log,
    retriedSubmissions: 0,
    async submit(event: BenchEvent) {
      const body = JSON.stringify(deliveredEvent(event, clientId));
      await Promise.all(urls.map((url) => post(url, body)));
    },
    async close() {
      // Nothing runs once the POSTs have returned.
      await Promise.all([...sinks, ...(failing ? [failing] : [])].map((sink) => sink.stop()));
    },
  };
}

/**
 * `npm run bench`: end-to-end delivery throughput and latency of callhook, against a baseline
 * measured in the same run — the same receiver hit directly with plain HTTP POSTs in the same
 * pattern (one sequential stream per call, calls in parallel). Prints figures and ratios.
 *
 *   BENCH_CALLS=20 BENCH_EVENTS_PER_CALL=10 npm run bench
 *
 * Runs against a real local Temporal dev server and the Postgres of TEST_DATABASE_URL.
 */
import { performance } from 'node:perf_hooks';
import { Harness } from '../test/helpers/harness';
import { Receiver, type ReceivedRequest } from '../test/helpers/receiver';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const EVENTS_PER_CALL = Number(process.env.BENCH_EVENTS_PER_CALL ?? 10);
const TOTAL = CALLS * EVENTS_PER_CALL;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function baseline(receiver: Receiver): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLS }, async (_, call) => {
      for (let i = 0; i < EVENTS_PER_CALL; i++) {
        const body = JSON.stringify({ eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId: `base-${call}`, seq: i }, errors: [] } });
        const t0 = performance.now();
        const response = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.text();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function throughCallhook(h: Harness, receiver: Receiver, run: string) {
  const clientId = `bench-${run}`;
  await h.createEndpoint({ clientId, url: receiver.url });
  const emittedAt = new Map<string, number>();
  const acceptLatencies: number[] = [];
  const before = receiver.requests.length;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLS }, async (_, call) => {
      for (let i = 0; i < EVENTS_PER_CALL; i++) {
        const id = `evt-${run}-${call}-${i}`;
        const t0 = performance.now();
        emittedAt.set(id, t0);
        await h.emit(`${run}-call-${call}`, 'OUTBOUND_CALL_CONNECTED', { id, clientId, data: { seq: i } });
        acceptLatencies.push(performance.now() - t0);
      }
    }),
  );
  await receiver.waitFor(before + TOTAL, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const received = receiver.requests.slice(before);
  const endToEnd = received.map((r: ReceivedRequest) => r.at - performance.timeOrigin - emittedAt.get((r.json as { id: string }).id)!);
  // Per-call order, checked while we are here: a benchmark of a broken system is worthless.
  const byCall = new Map<string, number[]>();
  for (const r of received) {
    const data = (r.json as { body: { data: { callId: string; seq: number } } }).body.data;
    byCall.set(data.callId, [...(byCall.get(data.callId) ?? []), data.seq]);
  }
  for (const [callId, seqs] of byCall) {
    if (seqs.some((s, i) => s !== i)) throw new Error(`order broken for ${callId}: ${seqs.join(',')}`);
  }
  return { seconds, acceptLatencies, endToEnd };
}

async function main(): Promise<void> {
  const h = await Harness.start();
  const receiver = await Receiver.start(() => ({ status: 200, body: 'ok' }));
  try {
    // Warm-up: workflow bundle, connections, JIT.
    await throughCallhook(h, receiver, 'warmup');
    const base = await baseline(receiver);
    const ch = await throughCallhook(h, receiver, 'measured');
    const baseRate = TOTAL / base.seconds;
    const rate = TOTAL / ch.seconds;
    console.log(`callhook delivery benchmark: ${CALLS} calls x ${EVENTS_PER_CALL} events = ${TOTAL} deliveries, one custom endpoint`);
    console.log('');
    console.log('                           baseline (direct POST)   callhook (API → Temporal → receiver)   ratio');
    console.log(`throughput (events/s)      ${baseRate.toFixed(1).padStart(10)}               ${rate.toFixed(1).padStart(10)}                             ${(rate / baseRate).toFixed(3)}`);
    const row = (label: string, b: number, c: number) =>
      console.log(`${label.padEnd(27)}${fmt(b).padStart(10)}               ${fmt(c).padStart(10)}                             ${(c / b).toFixed(1)}x`);
    row('latency p50 (to receiver)', percentile(base.latencies, 50), percentile(ch.endToEnd, 50));
    row('latency p99 (to receiver)', percentile(base.latencies, 99), percentile(ch.endToEnd, 99));
    console.log('');
    console.log(`API accept latency (POST /v1/events → 202): p50 ${fmt(percentile(ch.acceptLatencies, 50))}, p99 ${fmt(percentile(ch.acceptLatencies, 99))}`);
    console.log('per-call order: intact for every call');
  } finally {
    await receiver.stop();
    await h.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

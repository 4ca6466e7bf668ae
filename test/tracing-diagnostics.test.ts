/**
 * Tracing never fails silently: when the collector cannot be reached, the OpenTelemetry SDK's export error reaches
 * callhook's log (it is silent unless a diagnostic logger is set), once a minute at the most rather than once a second.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import pino from 'pino';
import { tracer, tracingFrom, type Tracing } from '../src/observability/tracing';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/local-services';

let tracing: Tracing | null = null;
after(async () => {
  await tracing?.shutdown().catch(() => undefined); // its last export fails too: that is the point
});

test('a collector that cannot be reached is logged, with its reason, once for many failed exports', async () => {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  // A port nothing listens on: every export is refused.
  tracing = tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` }, 'api', log);
  assert.ok(tracing, 'an endpoint turns tracing on');
  const failures = () => lines.filter((l) => l.msg.startsWith('opentelemetry: '));
  tracer().startSpan('first').end();
  const [first] = await eventually(async () => (failures().length > 0 ? failures() : undefined), 'the failed export in the log', 10_000);
  assert.equal(first!.level, 50, 'an error');
  assert.match(first!.msg, /^opentelemetry: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  // More failed exports (one a second) within the minute: not logged again.
  for (let i = 0; i < 3; i++) {
    tracer().startSpan(`more-${i}`).end();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
  assert.equal(failures().length, 1, failures().map((l) => l.msg).join('\n'));
});

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type ReplayWorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from '../src/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from './helpers/harness';

/**
 * Open calls replay their histories on every new worker: the histories recorded in
 * test/histories (npm run histories:record) must replay against the workflow as it is now.
 */
const DIR = path.join(__dirname, 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.binpb')).sort();
const histories = () =>
  files.map((file) => ({ workflowId: file, history: temporal.api.history.v1.History.decode(readFileSync(path.join(DIR, file))) }));

async function replayAll(bundle: WorkflowBundle, options: Omit<ReplayWorkerOptions, 'workflowBundle'> = {}): Promise<{ file: string; error: Error | undefined }[]> {
  const results: { file: string; error: Error | undefined }[] = [];
  for await (const result of Worker.runReplayHistories({ ...options, workflowBundle: bundle }, histories())) {
    results.push({ file: result.workflowId, error: result.error });
  }
  return results;
}

const fixture = (name: string) =>
  bundleWorkflowCode({ workflowsPath: require.resolve(`./fixtures/${name}`), logger: new DefaultLogger('WARN') });

before(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

describe('recorded histories', () => {
  test('there are histories of every recorded situation', () => {
    const scenarios = new Set(files.map((f) => f.replace(/\.\d+\.binpb$/, '')));
    for (const scenario of ['long-call-continue-as-new', 'retry-then-success', 'redeliver', 'skip', 'failure-notice', 'cancel', 'reset', 'temporal-client', 'late-event', 'endpoint-paused', 'circuit-open', 'rate-limited', 'endpoint-disabled', 'call-events-batch', 'paced-idle-timer', 'paced-idle-timer-patched', 'retry-now']) {
      assert.ok(scenarios.has(scenario), `no recorded history of ${scenario}`);
    }
    assert.ok(files.filter((f) => f.startsWith('long-call-continue-as-new.')).length > 1, 'the long call continued as new');
  });

  test('every recorded history replays against the current workflow', async () => {
    const results = await replayAll(await workflowBundle());
    assert.equal(results.length, files.length);
    assert.deepEqual(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.message}`), []);
  });

  test('with tracing on (the traced bundle: the OpenTelemetry workflow interceptors and their sink), every recorded history replays', async () => {
    // Turning tracing on for a deployment with open calls must not break them: the interceptors add spans, never commands.
    const exporter = new InMemorySpanExporter();
    const results = await replayAll(await bundleWorkflows(new DefaultLogger('WARN'), { traced: true }), {
      sinks: { exporter: makeWorkflowExporter(new SimpleSpanProcessor(exporter), new Resource({ 'service.name': 'replay' })) },
    });
    assert.equal(results.length, files.length);
    assert.deepEqual(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.message}`), []);
  });

  test('a change that is not replay-safe fails the replay', async () => {
    const results = await replayAll(await fixture('changed-workflow'));
    assert.equal(results.length, files.length);
    for (const { file, error } of results) {
      assert.ok(error instanceof DeterminismViolationError, `${file} replayed against an incompatible change: ${error?.message ?? 'no error'}`);
    }
  });

  test('the same change guarded by patched() replays every history', async () => {
    const results = await replayAll(await fixture('patched-workflow'));
    assert.deepEqual(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.message}`), []);
  });
});

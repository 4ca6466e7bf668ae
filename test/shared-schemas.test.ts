/**
 * The call workflow's schemas are evaluated once per worker and shared by its workflows
 * (src/workflows/shared-schemas.ts). This loads the worker's own bundle into the SDK's reusable V8
 * context the way a worker does (the SDK's own classes, no stand-in), after which the SDK has
 * deep-frozen what it preloaded: the schema modules' exports must be frozen (no workflow can
 * replace a schema), the schemas themselves not (zod could not parse), and parsing in that context
 * must give the same answers as in Node. If an SDK upgrade changes how preloading works, this
 * fails rather than the calls.
 */
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { before, describe, test } from 'node:test';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import * as nodeSchemas from '../src/schemas/call-workflow-messages';
import { WORKFLOWS_PATH, WORKFLOW_PRELOAD_MODULES } from '../src/worker';

const SCHEMA_MODULES = ['./src/schemas/call-event.ts', './src/schemas/call-workflow-messages.ts', './src/schemas/endpoint-kind.ts'];

type Schemas = typeof nodeSchemas;
let context: vm.Context;
/** A module as the worker's workflows see it: the shared copy, after the SDK's freeze. */
const shared = (id: string): { exports: Record<string, unknown> } | undefined =>
  vm.runInContext(`__webpack_module_cache__[${JSON.stringify(id)}]`, context) as { exports: Record<string, unknown> } | undefined;

/** The SDK's reusable V8 context, as the worker builds it; `sharedContext` opens it to this test. */
class InspectableCreator extends ReusableVMWorkflowCreator {
  get sharedContext(): vm.Context {
    return this.context;
  }
}

before(async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: WORKFLOW_PRELOAD_MODULES, logger: new DefaultLogger('WARN') });
  const creator = await InspectableCreator.create(parseWorkflowCode(bundle.code), 5_000, new Set(), () => false);
  context = creator.sharedContext;
});

const event = {
  id: 'evt_1',
  eventType: 'OUTBOUND_CALL_CALLING',
  occurredAt: '2026-12-06T10:00:00.000Z',
  body: { data: { callId: 'call_1', clientId: 'client_1', callStatus: 'CALLING' }, errors: [] },
};
const planned = [{ deliveryId: 'dlv_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'OUTBOUND_CALL_CALLING', kind: 'custom', laneSeq: 1 }];
/** Valid and invalid messages of every kind the workflow takes. */
const CORPUS: [keyof Schemas, unknown][] = [
  ['callEventSignalSchema', [event]],
  ['callEventSignalSchema', [event, planned]],
  ['callEventSignalSchema', [{ ...event, id: 3 }, [{ deliveryId: 'x' }]]],
  ['callEventsItemSchema', { event, planned }],
  ['callEventsItemSchema', { event: { ...event, occurredAt: '0000-01-01T00:00:00Z' } }],
  ['callEventsEnvelopeSchema', { events: [1, 2] }],
  ['callEventsEnvelopeSchema', { events: [] }],
  ['redeliverRequestSchema', { since: '2026-12-06T10:00:00Z', endpointId: 'ep_1' }],
  ['redeliverRequestSchema', { since: 'yesterday', deliveryID: 'dlv_1' }],
  ['skipRequestSchema', { deliveryId: 'dlv_1', reason: 'stuck' }],
  ['skipRequestSchema', {}],
  ['endpointRequestSchema', { endpointId: 'ep_1' }],
  ['endpointReadySchema', { endpointId: 'nope' }],
  ['attemptFailedNoticeSchema', { deliveryId: 'dlv_1', attemptNumber: 2, error: 'HTTP 503' }],
  ['attemptFailedNoticeSchema', { deliveryId: 'dlv_1', attemptNumber: -1, error: 5 }],
  ['callWorkflowInputSchema', { callId: 'call_1' }],
  ['callWorkflowInputSchema', { callId: 5, carried: {} }],
];

describe('the call workflow schemas shared across workflows', () => {
  test('each schema module is shared and its exports frozen by the SDK, the schemas not', () => {
    for (const id of SCHEMA_MODULES) {
      const module = shared(id);
      assert.ok(module, `${id} is in the shared module cache (preloaded)`);
      assert.ok(Object.isFrozen(module.exports), `${id}: exports frozen`);
    }
    const schemas = shared('./src/schemas/call-workflow-messages.ts')!.exports;
    assert.equal(Object.isFrozen(schemas.callEventsItemSchema), false);
  });

  test('every message parses in the shared context as it does in Node', () => {
    const schemas = shared('./src/schemas/call-workflow-messages.ts')!.exports as unknown as Schemas;
    for (const [name, value] of CORPUS) {
      const parse = (from: Schemas) => (from[name] as { safeParse(v: unknown): { success: boolean; error?: unknown } }).safeParse(value);
      const inWorker = parse(schemas);
      const inNode = parse(nodeSchemas);
      assert.equal(inWorker.success, inNode.success, `${name} ${JSON.stringify(value)}`);
      if (!inWorker.success) {
        assert.equal(
          schemas.describeIssues(inWorker.error as never),
          nodeSchemas.describeIssues(inNode.error as never),
          `${name}: the same issues`,
        );
      }
    }
    // Both answers, so the corpus cannot pass by refusing (or taking) everything.
    assert.deepEqual(new Set(CORPUS.map(([name, value]) => (nodeSchemas[name] as { safeParse(v: unknown): { success: boolean } }).safeParse(value).success)), new Set([true, false]));
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../src/temporal/cli-location';
import { CALL_SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { registerSearchAttributes, SearchAttributeConflictError, setupTemporal } from '../src/temporal/setup';

const KEYWORD = encodeSearchAttributeIndexedValueType('KEYWORD');
const TEXT = encodeSearchAttributeIndexedValueType('TEXT');
/** A second namespace of the dev server, where ClientId is pre-registered with the wrong type. */
const CONFLICT_NS = 'setup-conflict';

let env: TestWorkflowEnvironment;
let connection: Connection;

async function customAttributes(namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return (response.customAttributes ?? {}) as Record<string, number>;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  const cli = findTemporalCli();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli && { executable: { type: 'existing-path' as const, path: cli } }),
      extraArgs: ['--namespace', CONFLICT_NS],
    },
  });
  connection = env.connection;
});
after(async () => {
  await env?.teardown();
});

describe('temporal:setup', () => {
  test('registers the four call search attributes as Keyword; a second run is a no-op', async () => {
    const namespace = env.namespace ?? 'default';
    const names = CALL_SEARCH_ATTRIBUTES.map((key) => key.name).sort();
    assert.deepEqual(names, ['CallStatus', 'ClientId', 'DeliveryState', 'LastEventType']);

    const before = await customAttributes(namespace);
    const toAdd = names.filter((name) => !(name in before));

    const first = await registerSearchAttributes(connection, namespace);
    assert.deepEqual([...first.added].sort(), toAdd);
    assert.deepEqual([...first.added, ...first.existing].sort(), names);

    const second = await registerSearchAttributes(connection, namespace);
    assert.deepEqual(second.added, []);
    assert.deepEqual([...second.existing].sort(), names);

    const now = await customAttributes(namespace);
    for (const name of names) assert.equal(now[name], KEYWORD, `${name} should be a Keyword`);
  });

  test('setupTemporal connects by address and is idempotent too', async () => {
    const result = await setupTemporal({ address: env.address, namespace: env.namespace ?? 'default', timeoutMs: 10_000 });
    assert.deepEqual(result.added, []);
    assert.equal(result.existing.length, 4);
  });

  test('an attribute that exists with another type is a clear error, not overwritten', async () => {
    await connection.operatorService.addSearchAttributes({ namespace: CONFLICT_NS, searchAttributes: { ClientId: TEXT! } });
    await assert.rejects(registerSearchAttributes(connection, CONFLICT_NS), (err: unknown) => {
      assert.ok(err instanceof SearchAttributeConflictError);
      assert.match(err.message, /ClientId is TEXT, callhook needs KEYWORD/);
      return true;
    });
    // Not retried by setupTemporal either: it fails at once.
    const started = Date.now();
    await assert.rejects(setupTemporal({ address: env.address, namespace: CONFLICT_NS, timeoutMs: 30_000 }), SearchAttributeConflictError);
    assert.ok(Date.now() - started < 10_000);
    const now = await customAttributes(CONFLICT_NS);
    assert.equal(now.ClientId, TEXT);
    assert.equal(now.CallStatus, undefined, 'nothing is added when one attribute conflicts');
  });

  test('an unreachable address fails with a message naming it, after retrying', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    await assert.rejects(
      setupTemporal({ address, namespace: 'default', timeoutMs: 2_000, retryDelayMs: 300 }),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, new RegExp(`Temporal at ${address.replace(/\./g, '\\.')} .*did not answer within 2 s`));
        return true;
      },
    );
    assert.ok(Date.now() - started < 15_000);
  });
});

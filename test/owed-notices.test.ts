/**
 * A failed round redelivered before its WEBHOOK_DELIVERY_FAILED notice was planned (its run reset or
 * terminated first) still owes that notice: reopenDeliveries keeps it, and the runs and the
 * reconciler find it. Found by the seeded simulation (SIM_SEED=1048629284, scenario 4).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configureSecretsKeyRing } from '../src/crypto/secrets-key-ring';
import { markDeliveryFailed, reopenDeliveries } from '../src/db/deliveries-repo';
import { insertEndpoint } from '../src/db/endpoints-repo';
import { newEndpoint } from './helpers/endpoints';
import { planEvents } from '../src/db/lanes-repo';
import { findCallsToReconcile, loadUnnoticedFailures } from '../src/db/reconcile-repo';
import { newId } from '../src/domain/ids';
import { TEST_SECRETS_KEY_RING } from './helpers/harness';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

let db: TestDatabase;
before(async () => {
  configureSecretsKeyRing(TEST_SECRETS_KEY_RING);
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

test('a failed round without its notice is owed across a redelivery (its own round id), until the notice exists', async () => {
  const callId = `call-owed-${Date.now()}`;
  const endpoint = await insertEndpoint(db.pool, newEndpoint({ clientId: 'client-owed' }));

  const event = { id: `evt-${callId}`, eventType: 'OUTBOUND_CALL_ERROR', occurredAt: new Date().toISOString(), body: { data: { callId, clientId: 'client-owed' }, errors: [] } };
  const plan = await planEvents(db.pool, [event], 'run-1/0');
  const [delivery] = plan.pending;
  assert.ok(delivery && delivery.endpointId === endpoint.id);
  await markDeliveryFailed(db.pool, delivery.deliveryId, 'HTTP 400');
  assert.deepEqual((await loadUnnoticedFailures(db.pool, callId)).map((f) => f.laneSeq), [delivery.laneSeq], 'the failed round owes its notice');

  // Redelivered before the notice was planned: the delivery is pending again, with a new lane_seq.
  const [reopened] = await reopenDeliveries(db.pool, callId, {});
  assert.ok(reopened && reopened.laneSeq > delivery.laneSeq);
  const owed = await loadUnnoticedFailures(db.pool, callId);
  assert.deepEqual(owed.map((f) => [f.deliveryId, f.laneSeq, f.error]), [[delivery.deliveryId, delivery.laneSeq, 'HTTP 400']], 'the old round is still owed, by its own lane_seq');
  await db.pool.query("UPDATE owed_failure_notices SET created_at = now() - interval '2 minutes'");
  const found = await findCallsToReconcile(db.pool, { graceMs: 60_000, noticeWindowMs: 3_600_000, limit: 10 });
  assert.ok(found.some((c) => c.callId === callId && c.unnoticedFailure), 'the reconciler finds the call');

  // The notice is planned (as the workflow plans it): nothing is owed any more.
  const notice = {
    id: `whfail_${delivery.deliveryId}_${delivery.laneSeq}`,
    eventType: 'WEBHOOK_DELIVERY_FAILED',
    occurredAt: new Date().toISOString(),
    body: { data: { callId, clientId: 'client-owed' }, errors: [] },
  };
  await planEvents(db.pool, [notice], 'run-1/1');
  assert.deepEqual(await loadUnnoticedFailures(db.pool, callId), []);

  // A round that already had its notice owes nothing when it is redelivered.
  await markDeliveryFailed(db.pool, reopened.deliveryId, 'HTTP 500');
  await planEvents(db.pool, [{ ...notice, id: `whfail_${reopened.deliveryId}_${reopened.laneSeq}` }], 'run-1/2');
  await reopenDeliveries(db.pool, callId, {});
  assert.deepEqual(await loadUnnoticedFailures(db.pool, callId), []);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LaneItem } from '../src/db/lanes-repo';
import { LANE_WINDOW, Lane } from '../src/workflows/lanes';

const item = (laneSeq: number): LaneItem => ({
  deliveryId: `dlv_${laneSeq}`,
  endpointId: 'ep_1',
  eventId: `evt_${laneSeq}`,
  eventType: 'OUTBOUND_CALL_CONNECTED',
  kind: 'custom',
  laneSeq,
});

describe("a lane's window over its queue in Postgres", () => {
  test('keeps at most LANE_WINDOW deliveries; the rest are read from Postgres after the cursor', () => {
    const lane = new Lane('ep_1');
    for (let seq = 1; seq <= LANE_WINDOW + 50; seq++) lane.add(item(seq));
    assert.equal(lane.items.length, LANE_WINDOW);
    assert.equal(lane.more, true);
    assert.equal(lane.cursor, LANE_WINDOW, 'the next read starts after the last delivery kept');
    lane.add(item(LANE_WINDOW + 51));
    assert.equal(lane.items.length, LANE_WINDOW, 'while Postgres holds more, new deliveries wait there');
  });

  test('the same delivery twice is queued once; an older one it does not hold makes it read Postgres again', () => {
    const lane = new Lane('ep_1');
    lane.add(item(5));
    lane.add(item(5));
    assert.deepEqual(lane.items.map((i) => i.laneSeq), [5]);
    assert.equal(lane.stale, false);
    lane.add(item(3));
    assert.equal(lane.stale, true, 'a delivery from before the cursor (a reset run) is read back in lane order');
    assert.equal(lane.idle, false);
  });

  test('a window read again from the start never moves the cursor past what it left out', () => {
    const lane = new Lane('ep_1');
    for (let seq = 1; seq <= 10; seq++) lane.add(item(seq));
    lane.take({ endpointId: 'ep_1', items: [item(4), item(5)], more: true, retry: null });
    assert.equal(lane.cursor, 5, 'truncated window: read on after its last delivery');
    lane.take({ endpointId: 'ep_1', items: [item(6)], more: false, retry: null });
    assert.equal(lane.cursor, 6);
    lane.take({ endpointId: 'ep_1', items: [], more: false, retry: null });
    assert.equal(lane.cursor, 6, 'an empty complete window keeps the cursor');
    assert.equal(lane.idle, true);
  });

  test('a skipped delivery that is only queued is forgotten, its retry state with it', () => {
    const lane = new Lane('ep_1');
    lane.add(item(1));
    lane.add(item(2));
    lane.retry = { deliveryId: 'dlv_1', attempts: 2, nextAttemptAt: null, lastError: 'HTTP 503' };
    lane.skipped('dlv_1');
    assert.deepEqual(lane.items.map((i) => i.deliveryId), ['dlv_2']);
    assert.equal(lane.retry, null);
  });
});

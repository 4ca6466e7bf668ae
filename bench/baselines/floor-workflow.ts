/**
 * The floor: the least Temporal work a per-call ordered webhook sender needs, and nothing else.
 * One workflow per call (started by signal-with-start); events arrive as signals into a queue;
 * each event runs one activity per lane, lanes in order, independent of each other. The activity
 * is a no-op that records when it ran. The workflow ends after an idle period (short after a
 * terminal event, long without one) and continues-as-new when Temporal suggests it (or after
 * 5 000 signals: Temporal accepts at most 10 000 per run), carrying its queue and lanes.
 *
 * No Postgres, no HTTP, no planning step, no search attributes: callhook minus its own work.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { floorEventSignal, type FloorActivities, type FloorInput, type FloorItem, type FloorSignal } from './floor-messages';

const MAX_SIGNALS_PER_RUN = 5_000;

export async function floorWorkflow(input: FloorInput): Promise<void> {
  const { floorDeliver } = proxyActivities<FloorActivities>({
    startToCloseTimeout: input.attemptTimeoutMs,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: input.retry.backoffCoefficient,
      maximumInterval: input.retry.maximumIntervalMs,
      maximumAttempts: input.retry.maximumAttempts,
    },
  });
  const inbox: FloorSignal[] = [...(input.carried?.inbox ?? [])];
  const lanes: FloorItem[][] = input.carried?.lanes ?? Array.from({ length: input.lanes }, () => []);
  const active: boolean[] = lanes.map(() => false);
  let terminalSeen = input.carried?.terminalSeen ?? false;
  let stopping = false;
  let signals = 0;

  setHandler(floorEventSignal, (signal) => {
    inbox.push(signal);
    signals++;
  });

  /** Runs a lane's items one at a time; a finally failed item is dropped and the lane moves on. */
  async function runLane(lane: number): Promise<void> {
    const items = lanes[lane] ?? [];
    active[lane] = true;
    try {
      while (items.length > 0 && !stopping) {
        const item = items[0];
        if (!item) break;
        try {
          await floorDeliver({ tag: input.tag, lane, callId: input.callId, seq: item.seq, id: item.id });
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
        }
        items.shift();
      }
    } finally {
      active[lane] = false;
    }
  }

  const busy = () => active.some(Boolean);
  const mustContinueAsNew = () => workflowInfo().continueAsNewSuggested || signals >= MAX_SIGNALS_PER_RUN;

  // A run carrying unfinished lanes picks them up first.
  lanes.forEach((items, lane) => {
    if (items.length > 0) void runLane(lane);
  });

  for (;;) {
    if (mustContinueAsNew()) break;
    const next = inbox.shift();
    if (next) {
      terminalSeen ||= next.terminal;
      lanes.forEach((items, lane) => {
        items.push({ id: next.event.id, seq: next.event.body.data.seq });
        if (!active[lane]) void runLane(lane);
      });
      continue;
    }
    if (busy()) {
      await condition(() => inbox.length > 0 || !busy() || mustContinueAsNew());
      continue;
    }
    const woken = await condition(() => inbox.length > 0 || mustContinueAsNew(), terminalSeen ? input.idleMs : input.abandonMs);
    if (!woken && inbox.length === 0) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) return;
    }
  }

  // Let the activities under way finish, then hand the rest on.
  stopping = true;
  await condition(() => !busy());
  await condition(allHandlersFinished);
  await continueAsNew<typeof floorWorkflow>({ ...input, carried: { inbox, lanes, terminalSeen } });
}

/**
 * The floor workflow's name, input, signal and activity types, shared by the workflow (bundled),
 * its activities and the client that drives it. No workflow code here, so the client can import it.
 */
import { defineSignal } from '@temporalio/workflow';
import type { DeliveredEvent } from '../lib/events';

export const FLOOR_WORKFLOW_TYPE = 'floorWorkflow';

/** One call event: the same payload callhook signals its call workflow with, plus whether it is the last. */
export interface FloorSignal {
  event: DeliveredEvent;
  terminal: boolean;
}

export const floorEventSignal = defineSignal<[FloorSignal]>('floorEvent');

/** One unit of work in a lane: the event, by reference. */
export interface FloorItem {
  id: string;
  seq: number;
}

export interface FloorRetry {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

export interface FloorInput {
  callId: string;
  /** The measured run this call belongs to: the activity reports to that run's log. */
  tag: string;
  /** Lanes (callhook: endpoints); every event runs one activity in each. */
  lanes: number;
  /** The activity's retry policy (a failing lane retries like a failing callhook endpoint). */
  retry: FloorRetry;
  /** The activity's start-to-close timeout. */
  attemptTimeoutMs: number;
  /** Idle period before the workflow ends, after a terminal event / without one. */
  idleMs: number;
  abandonMs: number;
  /** What the previous run hands on at continue-as-new. */
  carried?: { inbox: FloorSignal[]; lanes: FloorItem[][]; terminalSeen: boolean };
}

/** The activity's input: which delivery this is. */
export interface FloorDelivery {
  tag: string;
  lane: number;
  callId: string;
  seq: number;
  id: string;
}

export interface FloorActivities {
  /** The no-op "delivery": records when it ran. */
  floorDeliver(delivery: FloorDelivery): Promise<void>;
}

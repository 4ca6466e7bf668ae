/**
 * Temporal Cloud billable actions of a workflow, counted from its histories (every run): an
 * estimate in the spirit of https://docs.temporal.io/cloud/actions, event by event:
 *
 * - starts: WorkflowExecutionStarted (a signal-with-start that starts the run: its start and its signal both count);
 * - signals: WorkflowExecutionSignaled;
 * - activities: ActivityTaskScheduled; activityRetries: each attempt after the first (ActivityTaskStarted.attempt − 1);
 * - timers: TimerStarted (the SDK's own too: `condition` with a timeout starts one);
 * - upserts: UpsertWorkflowSearchAttributes, but for one that only sets TemporalChangeVersion (written by
 *   `patched()`, exempt from billing): those are `versionUpserts`, listed and not in the total;
 * - markers: MarkerRecorded (patch markers, side effects, local activities);
 * - continuedAsNew: WorkflowExecutionContinuedAsNew; propertiesModified: WorkflowPropertiesModified.
 *
 * Not in histories, so not counted: queries, heartbeats. Shared by the tests and the benchmark.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

export const ACTION_KINDS = [
  'starts',
  'signals',
  'activities',
  'activityRetries',
  'timers',
  'upserts',
  'markers',
  'continuedAsNew',
  'propertiesModified',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface ActionCount {
  byKind: Record<ActionKind, number>;
  /** The sum of `byKind`. */
  total: number;
  /** Upserts of TemporalChangeVersion alone (a patch's): exempt, not in `total`. */
  versionUpserts: number;
  runs: number;
}

const CHANGE_VERSION = 'TemporalChangeVersion';

export function emptyActionCount(): ActionCount {
  return { byKind: Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as Record<ActionKind, number>, total: 0, versionUpserts: 0, runs: 0 };
}

/** Adds `b` into `a`; returns `a`. */
export function addActionCounts(a: ActionCount, b: ActionCount): ActionCount {
  for (const kind of ACTION_KINDS) a.byKind[kind] += b.byKind[kind];
  a.total += b.total;
  a.versionUpserts += b.versionUpserts;
  a.runs += b.runs;
  return a;
}

/** The actions of one run's history. */
export function countActions(history: History): ActionCount {
  const count = emptyActionCount();
  count.runs = 1;
  const add = (kind: ActionKind, n = 1) => {
    count.byKind[kind] += n;
    count.total += n;
  };
  for (const event of history.events ?? []) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add('starts');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        add('signals');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add('activities');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activityRetries', Math.max((event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1, 0));
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        add('timers');
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const keys = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (keys.length > 0 && keys.every((key) => key === CHANGE_VERSION)) count.versionUpserts++;
        else add('upserts');
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        add('markers');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        add('continuedAsNew');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        add('propertiesModified');
        break;
      default:
        break;
    }
  }
  return count;
}

/** The runs of a workflow, latest first: from the current (or latest) run back along its continue-as-new chain. */
export async function workflowHistories(client: Client, workflowId: string): Promise<History[]> {
  const histories: History[] = [];
  for (let runId: string | undefined; ; ) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) return histories;
  }
}

/** The actions of every run of a workflow (its continue-as-new chain). */
export async function workflowActions(client: Client, workflowId: string): Promise<ActionCount> {
  const count = emptyActionCount();
  for (const history of await workflowHistories(client, workflowId)) addActionCounts(count, countActions(history));
  return count;
}

/** "23 = 1 starts + 10 signals + …" (kinds with none left out). */
export function describeActions(count: ActionCount): string {
  const parts = ACTION_KINDS.filter((kind) => count.byKind[kind] > 0).map((kind) => `${count.byKind[kind]} ${kind}`);
  const exempt = count.versionUpserts > 0 ? ` (and ${count.versionUpserts} exempt TemporalChangeVersion upserts)` : '';
  return `${count.total} = ${parts.join(' + ') || '0'}${exempt}`;
}

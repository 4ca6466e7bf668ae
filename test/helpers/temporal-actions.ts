/**
 * Temporal Cloud billable actions, counted from workflow histories — an estimate, as Temporal's
 * own "Estimate Actions from Workflow Execution Histories" method is
 * (https://docs.temporal.io/cloud/actions, https://docs.temporal.io/cloud/migrate/estimate-actions):
 *
 * - starts: a run started by a client, by continue-as-new (counted on the new run's start) or
 *   as a child. A signal-with-start is ONE action whether or not it starts the run: the run it
 *   starts is free and its signal counts under `signals`.
 * - signals: every signal received (from a client, a signal-with-start, an activity or another
 *   workflow; a signal to another workflow is billed in the signalled workflow's history).
 * - activities: each activity scheduled; activityRetries: each attempt after the first
 *   (ActivityTaskStarted.attempt − 1).
 * - timers: each timer started, the SDK's own included (TypeScript's `condition` with a timeout).
 * - upserts: each UpsertWorkflowSearchAttributes command (several attributes in one: one action),
 *   except one that only sets TemporalChangeVersion (patching), which is exempt.
 * - markers: every marker of one workflow task together is one action (local activities,
 *   patch markers); localActivityRetries: the task's non-first local activity attempts.
 * - childWorkflows: 2 per child started (the intent and the start).
 * - other: updates accepted, workflow options updated, Nexus operations scheduled or cancelled,
 *   resets.
 *
 * Not in histories, so not counted: queries, activity heartbeats that reach the server,
 * schedules, rejected updates, exports. On the dev server these rules give the same totals as
 * the server's own `action` metric (checked for signal-with-start, activities, timers, upserts).
 *
 * The one count of the project: the tests use it, and the benchmark (bench/lib/temporal-actions.ts).
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export const ACTION_KINDS = [
  'starts',
  'signals',
  'activities',
  'activityRetries',
  'timers',
  'upserts',
  'markers',
  'localActivityRetries',
  'childWorkflows',
  'other',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface ActionCount {
  byKind: Record<ActionKind, number>;
  /** The sum of `byKind`. */
  total: number;
  /** Upserts of TemporalChangeVersion alone (a patch's): exempt, not in `total`. */
  versionUpserts: number;
  /** The runs (histories) counted. */
  runs: number;
}

const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

export function emptyActionCount(): ActionCount {
  const byKind = Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as Record<ActionKind, number>;
  return { byKind, total: 0, versionUpserts: 0, runs: 0 };
}

/** Adds `b` into `a` and returns `a`. */
export function addActionCounts(a: ActionCount, b: ActionCount): ActionCount {
  for (const kind of ACTION_KINDS) a.byKind[kind] += b.byKind[kind];
  a.total += b.total;
  a.versionUpserts += b.versionUpserts;
  a.runs += b.runs;
  return a;
}

/** Whether the run was started by a signal-with-start: the server writes its signal right after the start, before any task. */
function startedBySignalWithStart(events: HistoryEvent[]): boolean {
  return events[1]?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
}

/** The billable actions of one run's history. */
export function countActions(history: History): ActionCount {
  const events = history.events ?? [];
  const count = emptyActionCount();
  count.runs = 1;
  const add = (kind: ActionKind, n = 1) => {
    count.byKind[kind] += n;
    count.total += n;
  };
  const markerTasks = new Set<string>();
  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        if (!startedBySignalWithStart(events)) add('starts');
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
        if (keys.length > 0 && keys.every((key) => key === CHANGE_VERSION_ATTRIBUTE)) count.versionUpserts++;
        else add('upserts');
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const task = String(event.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? event.eventId);
        if (!markerTasks.has(task)) add('markers');
        markerTasks.add(task);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        add('localActivityRetries', event.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0);
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add('childWorkflows', 2);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
      case EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
      case EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
        add('other');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        if (event.workflowTaskFailedEventAttributes?.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW) add('other');
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

/** The actions of every run of a workflow (its continue-as-new chain), as it stands now. */
export async function workflowActions(client: Client, workflowId: string): Promise<ActionCount> {
  const count = emptyActionCount();
  for (const history of await workflowHistories(client, workflowId)) addActionCounts(count, countActions(history));
  return count;
}

/** "23 = 10 signals + 10 activities + …" (kinds with none left out). */
export function describeActions(count: ActionCount): string {
  const parts = ACTION_KINDS.filter((kind) => count.byKind[kind] > 0).map((kind) => `${count.byKind[kind]} ${kind}`);
  const exempt = count.versionUpserts > 0 ? ` (and ${count.versionUpserts} exempt TemporalChangeVersion upserts)` : '';
  return `${count.total} = ${parts.join(' + ') || '0'}${exempt}`;
}

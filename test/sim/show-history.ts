/**
 * `node --import tsx test/sim/show-history.ts <file.binpb>…`: prints a history the simulation wrote
 * (SIM_HISTORIES_DIR), one event a line, with the activity names, signals and their arguments,
 * and failures: to read a failing scenario's runs.
 */
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';

// Piped into head: stop quietly when the reader goes.
process.stdout.on('error', () => process.exit(0));

const { EventType, WorkflowTaskFailedCause, TimeoutType } = temporal.api.enums.v1;
const text = (payloads: temporal.api.common.v1.IPayloads | null | undefined) =>
  (payloads?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8').slice(0, 160)).join(' | ');

for (const file of process.argv.slice(2)) {
  console.log(`== ${file}`);
  const history = temporal.api.history.v1.History.decode(readFileSync(file));
  for (const e of history.events) {
    let extra = '';
    if (e.workflowExecutionStartedEventAttributes) extra = `continued from ${e.workflowExecutionStartedEventAttributes.continuedExecutionRunId || '-'}`;
    if (e.activityTaskScheduledEventAttributes) extra = `${e.activityTaskScheduledEventAttributes.activityType?.name ?? ''} ${text(e.activityTaskScheduledEventAttributes.input)}`;
    if (e.activityTaskFailedEventAttributes) extra = e.activityTaskFailedEventAttributes.failure?.message ?? '';
    if (e.workflowExecutionSignaledEventAttributes) extra = `${e.workflowExecutionSignaledEventAttributes.signalName ?? ''} ${text(e.workflowExecutionSignaledEventAttributes.input)}`;
    if (e.workflowTaskFailedEventAttributes) extra = `${WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes.cause ?? 0]} ${e.workflowTaskFailedEventAttributes.failure?.message ?? ''}`;
    if (e.workflowTaskTimedOutEventAttributes) extra = TimeoutType[e.workflowTaskTimedOutEventAttributes.timeoutType ?? 0] ?? '';
    if (e.workflowExecutionTerminatedEventAttributes) extra = e.workflowExecutionTerminatedEventAttributes.reason ?? '';
    if (e.timerStartedEventAttributes) extra = `${Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)} s`;
    console.log(`${String(e.eventId).padStart(4)} ${(EventType[e.eventType ?? 0] ?? '?').replace('EVENT_TYPE_', '')} ${extra}`);
  }
}

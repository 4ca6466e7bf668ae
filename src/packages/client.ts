/**
 * `callhook/client`: emitting call events through a Temporal client, for platform services that already talk to
 * Temporal (the HTTP API is `callhook/http`). Each event is validated (zod, as the API does) before anything is
 * signalled: a bad one throws {@link InvalidCallEventError} naming each bad field.
 *
 * @example
 * import { Client, Connection } from '@temporalio/client';
 * import { emitCallEvent } from 'callhook/client';
 * const client = new Client({ connection: await Connection.connect({ address: 'temporal:7233' }) });
 * await emitCallEvent(client, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId: 'abc-123', clientId: 'client-1' } } }, { taskQueue: 'callhook' });
 *
 * The public surface only: the outbox relay's `signalCallEvents` (events with deliveries callhook planned in Postgres)
 * and the operator actions (`requestRedelivery`, `requestRetryNow`: the API's redeliver and retry routes, or the
 * Temporal UI's signals) stay internal to callhook.
 */
export {
  emitCallEvent,
  emitCallEvents,
  toCallEvent,
  InvalidCallEventError,
  SIGNAL_BATCH,
  SIGNAL_BATCH_BYTES,
  type EmitResult,
  type EmitManyResult,
} from '../temporal/call-events-client';
export { MAX_BATCH_EVENTS, type SubmitEvent, type CallEvent, type CallError } from '../schemas/call-event';

/**
 * Call view: a callId's events in the order they were received, each with its deliveries to
 * every endpoint (expand one to its attempts, Retry a failed one), and a link to the call's
 * workflow in the Temporal Web UI.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { ApiFailure, api, messageOf, query } from '../api';
import type { CallView as CallViewData, DeliveryLogEntry, EndpointView, RetryAccepted } from '../api-types';
import { canRetry, lastResult } from '../deliveries';
import { KIND_LABELS, formatTime, targetOf } from '../format';
import { DeliveryAttempts } from './delivery-attempts';
import { FormError, TextField } from './fields';

function endpointName(endpointId: string, endpoints: ReadonlyMap<string, EndpointView>): string {
  const endpoint = endpoints.get(endpointId);
  return endpoint ? `${KIND_LABELS[endpoint.kind]} ${targetOf(endpoint)}` : endpointId;
}

function DeliveryRow(props: { delivery: DeliveryLogEntry; endpoints: ReadonlyMap<string, EndpointView>; onRetried: () => void }) {
  const { delivery } = props;
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  async function retry() {
    try {
      await api<RetryAccepted>('POST', `/v1/deliveries/${delivery.id}/retry`);
      setNote('Retry requested');
      props.onRetried();
    } catch (err) {
      setNote(`Retry refused: ${messageOf(err)}`);
    }
  }
  return (
    <li class="call-delivery">
      <span class={`badge ${delivery.status}`}>{delivery.status}</span> {endpointName(delivery.endpointId, props.endpoints)} · {delivery.attemptCount}{' '}
      {delivery.attemptCount === 1 ? 'attempt' : 'attempts'}
      {(delivery.lastStatusCode !== null || delivery.lastError) && (
        <span class={delivery.status === 'succeeded' ? '' : 'error-text'}> · {lastResult(delivery, props.endpoints.get(delivery.endpointId)?.kind)}</span>
      )}{' '}
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Attempts
      </button>
      {canRetry(delivery) && (
        <button type="button" onClick={() => void retry()}>
          Retry
        </button>
      )}
      {note && <span role="status"> {note}</span>}
      {open && <DeliveryAttempts delivery={delivery} />}
    </li>
  );
}

export function CallView(props: { initialCallId: string; endpoints: ReadonlyMap<string, EndpointView> }) {
  const id = useId();
  const [callId, setCallId] = useState(props.initialCallId);
  const [view, setView] = useState<CallViewData | null>(null);
  const [error, setError] = useState<{ field: string | null; general: string | null }>({ field: null, general: null });
  const [loading, setLoading] = useState(false);

  async function search(wanted: string) {
    const trimmed = wanted.trim();
    if (!trimmed) {
      setError({ field: 'Enter a call ID', general: null });
      return;
    }
    setLoading(true);
    setError({ field: null, general: null });
    try {
      setView(await api<CallViewData>('GET', `/v1/calls/${encodeURIComponent(trimmed)}${query({ limit: 100 })}`));
    } catch (err) {
      setView(null);
      const onField = err instanceof ApiFailure && (err.status === 404 || err.details.some((d) => d.path === 'path.callId'));
      setError(onField ? { field: err.status === 404 ? `No call ${trimmed} (or not one of yours)` : messageOf(err), general: null } : { field: null, general: messageOf(err) });
    } finally {
      setLoading(false);
    }
  }

  async function loadMore() {
    if (!view?.nextCursor) return;
    try {
      const more = await api<CallViewData>('GET', `/v1/calls/${encodeURIComponent(view.callId)}${query({ limit: 100, after: view.nextCursor })}`);
      setView({ ...more, events: [...view.events, ...more.events], deliveries: [...view.deliveries, ...more.deliveries] });
    } catch (err) {
      setError({ field: null, general: messageOf(err) });
    }
  }

  useEffect(() => {
    setCallId(props.initialCallId);
    if (props.initialCallId) void search(props.initialCallId);
  }, [props.initialCallId]);

  const byEvent = new Map<string, DeliveryLogEntry[]>();
  for (const delivery of view?.deliveries ?? []) byEvent.set(delivery.eventId, [...(byEvent.get(delivery.eventId) ?? []), delivery]);

  return (
    <section class="call-view" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Call view</h2>
      <form
        class="filters"
        role="search"
        aria-label="Find a call"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void search(callId);
        }}
      >
        <TextField id={`${id}-call`} label="Call ID" value={callId} onValue={setCallId} placeholder="abc-123" error={error.field ?? undefined} />
        <button type="submit" disabled={loading}>
          Search
        </button>
      </form>
      <FormError message={error.general} />
      {view && (
        <div class="call">
          <p>
            Call <code>{view.callId}</code> of client <code>{view.clientId}</code>: {view.events.length}
            {view.nextCursor ? '+' : ''} events.{' '}
            {view.workflowUrl && (
              <a href={view.workflowUrl} target="_blank" rel="noopener noreferrer">
                Open the workflow in the Temporal Web UI
              </a>
            )}{' '}
            <button type="button" onClick={() => void search(view.callId)}>
              Refresh
            </button>
          </p>
          {view.rejected && view.rejected.length > 0 && (
            <details class="call-rejected">
              <summary>
                {view.rejected.length} {view.rejected.length === 1 ? 'message' : 'messages'} refused by the call's workflow (malformed signals)
              </summary>
              <ul aria-label="Refused messages">
                {view.rejected.map((r) => (
                  <li key={`${r.at}-${r.message}`}>
                    <code>{r.message}</code> · {formatTime(r.at)} · <span class="error-text">{r.reason}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
          <ol class="call-events" aria-label="Events">
            {view.events.map((event) => (
              <li key={event.id}>
                <div class="call-event">
                  <strong>{event.eventType}</strong>
                  {event.callStatus && <span class="hint"> callStatus {event.callStatus}</span>}
                  <span class="hint">
                    {' '}
                    · occurred {formatTime(event.occurredAt)} · received {formatTime(event.receivedAt)} · <code>{event.id}</code>
                    {event.traceId && (
                      <>
                        {' '}
                        · trace <code>{event.traceId}</code>
                      </>
                    )}
                  </span>
                </div>
                <ul class="call-deliveries" aria-label={`Deliveries of ${event.eventType}`}>
                  {(byEvent.get(event.id) ?? []).map((delivery) => (
                    <DeliveryRow key={delivery.id} delivery={delivery} endpoints={props.endpoints} onRetried={() => void search(view.callId)} />
                  ))}
                  {(byEvent.get(event.id) ?? []).length === 0 && <li class="hint">no endpoint subscribed to it</li>}
                </ul>
              </li>
            ))}
          </ol>
          {view.nextCursor && (
            <button type="button" onClick={() => void loadMore()}>
              Load more events
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/**
 * An endpoint's delivery log: filter by status and time, page through it (oldest first, as the
 * API pages it), expand a delivery to its attempts, Retry a failed or skipped one. While a
 * delivery shown is pending, or just after a retry, the log refreshes itself.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import type { DeliveryLogEntry, DeliveryPage, DeliveryStatus, EndpointKind, RetryAccepted } from '../api-types';
import { formErrorsOf, NO_ERRORS, type FormErrors } from '../field-errors';
import { canRetry, canRetryNow, lastResult } from '../deliveries';
import { formatTime, fromLocalInput, toLocalInput } from '../format';
import { usePolling } from '../use-polling';
import { DeliveryAttempts } from './delivery-attempts';
import { FormError, SelectField, TextField } from './fields';

const PAGE = 20;
/** How long the log keeps refreshing after a retry, waiting for the delivery to go back to pending. */
const WATCH_AFTER_RETRY_MS = 20_000;

type StatusFilter = DeliveryStatus | '';
const STATUS_OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'skipped', label: 'Skipped' },
];

export function DeliveryLog(props: { endpointId: string; kind: EndpointKind; initialStatus?: StatusFilter; onOpenCall: (callId: string) => void; onChange?: () => void }) {
  const id = useId();
  const [status, setStatus] = useState<StatusFilter>(props.initialStatus ?? '');
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 24 * 3_600_000)));
  const [until, setUntil] = useState('');
  const [entries, setEntries] = useState<DeliveryLogEntry[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [loading, setLoading] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [watchUntil, setWatchUntil] = useState(0);

  const filters = () => ({ status: status || undefined, since: fromLocalInput(since), until: fromLocalInput(until) });

  /** The first page again, as long as what is shown (refresh keeps the rows in view). */
  async function load(limit = PAGE) {
    setLoading(true);
    try {
      const page = await api<DeliveryPage>('GET', `/v1/endpoints/${props.endpointId}/deliveries${query({ ...filters(), limit })}`);
      setEntries(page.data);
      setNextCursor(page.nextCursor);
      setErrors(NO_ERRORS);
    } catch (err) {
      setErrors(formErrorsOf(err, ['since', 'until']));
    } finally {
      setLoading(false);
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    try {
      const page = await api<DeliveryPage>('GET', `/v1/endpoints/${props.endpointId}/deliveries${query({ ...filters(), limit: PAGE, after: nextCursor })}`);
      setEntries((shown) => [...shown, ...page.data]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      setErrors(formErrorsOf(err, ['since', 'until']));
    }
  }

  useEffect(() => {
    void load();
    // Reload when a filter changes; load reads them when it runs.
  }, [props.endpointId, status, since, until]);

  const refreshing = entries.some((d) => d.status === 'pending') || watchUntil > Date.now();
  usePolling(refreshing, 1_500, async () => {
    await load(Math.min(200, Math.max(PAGE, entries.length)));
    props.onChange?.();
  });

  async function retry(delivery: DeliveryLogEntry) {
    setNotes((n) => ({ ...n, [delivery.id]: 'Retry requested…' }));
    const now = canRetryNow(delivery);
    try {
      await api<RetryAccepted>('POST', `/v1/deliveries/${delivery.id}/retry`);
      setNotes((n) => ({ ...n, [delivery.id]: now ? 'Retry requested: its next attempt starts now' : 'Retry requested: it is sent again in its call\'s order' }));
      setWatchUntil(Date.now() + WATCH_AFTER_RETRY_MS);
    } catch (err) {
      setNotes((n) => ({ ...n, [delivery.id]: `Retry refused: ${messageOf(err)}` }));
    }
  }

  function toggle(deliveryId: string) {
    setExpanded((shown) => {
      const next = new Set(shown);
      if (next.has(deliveryId)) next.delete(deliveryId);
      else next.add(deliveryId);
      return next;
    });
  }

  return (
    <section class="delivery-log" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>Delivery log</h4>
      <div class="filters">
        <SelectField id={`${id}-status`} label="Status" value={status} onValue={setStatus} options={STATUS_OPTIONS} />
        <TextField id={`${id}-since`} label="From" type="datetime-local" value={since} onValue={setSince} error={errors.fields.since} />
        <TextField id={`${id}-until`} label="To" type="datetime-local" value={until} onValue={setUntil} error={errors.fields.until} />
        <button type="button" onClick={() => void load(Math.min(200, Math.max(PAGE, entries.length)))} disabled={loading}>
          Refresh
        </button>
      </div>
      <FormError message={errors.general} />
      {entries.length === 0 ? (
        <p class="hint">{loading ? 'Loading…' : 'No delivery matches these filters.'}</p>
      ) : (
        <table class="deliveries">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">Call</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last result</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          {entries.map((delivery) => (
            <tbody key={delivery.id} class="delivery" data-delivery-id={delivery.id}>
              <tr>
                <td>{formatTime(delivery.createdAt)}</td>
                <td>{delivery.eventType}</td>
                <td>
                  <button type="button" class="link" onClick={() => props.onOpenCall(delivery.callId)} title="Open the call view">
                    {delivery.callId}
                  </button>
                </td>
                <td>
                  <span class={`badge ${delivery.status}`}>{delivery.status}</span>
                </td>
                <td>{delivery.attemptCount}</td>
                <td class={delivery.status === 'succeeded' ? '' : 'error-text'}>
                  {lastResult(delivery, props.kind)}
                  {delivery.status === 'pending' && delivery.nextAttemptAt && <span class="hint"> · next attempt {formatTime(delivery.nextAttemptAt)}</span>}
                </td>
                <td class="row-actions">
                  <button type="button" aria-expanded={expanded.has(delivery.id)} onClick={() => toggle(delivery.id)}>
                    Attempts
                  </button>
                  {canRetry(delivery) && (
                    <button type="button" onClick={() => void retry(delivery)}>
                      Retry
                    </button>
                  )}
                  {canRetryNow(delivery) && (
                    <button type="button" onClick={() => void retry(delivery)}>
                      Retry now
                    </button>
                  )}
                  {notes[delivery.id] && delivery.status !== 'succeeded' && (
                    <span class="note" role="status">
                      {notes[delivery.id]}
                    </span>
                  )}
                </td>
              </tr>
              {expanded.has(delivery.id) && (
                <tr class="attempts-row">
                  <td colSpan={7}>
                    <DeliveryAttempts delivery={delivery} />
                  </td>
                </tr>
              )}
            </tbody>
          ))}
        </table>
      )}
      {nextCursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </section>
  );
}

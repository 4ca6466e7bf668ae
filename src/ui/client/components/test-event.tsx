/**
 * Send test event: a WEBHOOK_TEST to this endpoint (or the example of a catalog type, sent as a
 * test), and the first attempt's outcome (status, latency, response excerpt).
 */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { EndpointKind, EventTypeInfo, TestResult } from '../api-types';
import { formatMs, statusLabel } from '../format';

const OUTCOME_LABELS: Record<TestResult['outcome'], string> = {
  succeeded: 'Succeeded',
  retryable: 'Failed (would be retried)',
  final: 'Failed (final)',
  cancelled: 'Abandoned (skipped under way)',
};

/** The types whose example can be sent: those a platform submits (not callhook's own), not archived. */
function exampleTypes(catalog: readonly EventTypeInfo[]): EventTypeInfo[] {
  return catalog.filter((type) => !type.system && type.status !== 'archived');
}

export function TestEvent(props: { endpointId: string; kind: EndpointKind; catalog: readonly EventTypeInfo[]; onDone?: () => void }) {
  const [state, setState] = useState<{ busy: boolean; result: TestResult | null; error: string | null }>({ busy: false, result: null, error: null });
  const [eventType, setEventType] = useState('');
  const selectId = `test-type-${props.endpointId}`;
  async function send() {
    setState({ busy: true, result: null, error: null });
    try {
      const result = await api<TestResult>('POST', `/v1/endpoints/${props.endpointId}/test`, eventType ? { body: { eventType } } : undefined);
      setState({ busy: false, result, error: null });
    } catch (err) {
      setState({ busy: false, result: null, error: messageOf(err) });
    }
    props.onDone?.();
  }
  const { result } = state;
  return (
    <div class="test-event">
      <label for={selectId} class="visually-hidden">
        Test event type
      </label>
      <select id={selectId} value={eventType} onChange={(e) => setEventType(e.currentTarget.value)} title="What to send: the test event, or a type's example">
        <option value="">WEBHOOK_TEST</option>
        {exampleTypes(props.catalog).map((type) => (
          <option value={type.name} key={type.name}>
            {type.name} example
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void send()} disabled={state.busy}>
        Send test event
      </button>
      <div class="test-outcome" role="status" aria-live="polite">
        {state.busy && 'Sending a test event…'}
        {state.error && <span class="bad-text">Test event: {state.error}</span>}
        {result && (
          <div class={result.outcome === 'succeeded' ? 'outcome ok' : 'outcome bad'}>
            <strong>Test event: {OUTCOME_LABELS[result.outcome]}</strong>
            {result.statusCode !== null && ` · ${statusLabel(props.kind, result.statusCode)}`}
            {` · ${formatMs(result.durationMs)}`}
            {result.error && <div class="error-text">{result.error}</div>}
            {result.responseExcerpt && <pre class="excerpt">{result.responseExcerpt}</pre>}
          </div>
        )}
      </div>
    </div>
  );
}

/** Pause (deliveries wait, neither attempted nor failed) or Resume an endpoint. */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { EndpointView } from '../api-types';

export function PauseControl(props: { endpoint: EndpointView; onUpdated: (endpoint: EndpointView) => void }) {
  const { endpoint } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paused = endpoint.pausedAt !== null;

  async function toggle() {
    setError(null);
    setBusy(true);
    try {
      props.onUpdated(await api<EndpointView>('POST', `/v1/endpoints/${endpoint.id}/${paused ? 'resume' : 'pause'}`));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="pause-control">
      <button type="button" disabled={busy} onClick={() => void toggle()}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      {error && (
        <span class="bad-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

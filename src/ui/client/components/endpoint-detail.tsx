/**
 * One endpoint, opened: edit it (Save), enable or disable it (why it is disabled beside Enable), rotate its HMAC secret, delete it
 * (after a confirmation), its RSA public key, its delivery log and recovery.
 */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { DeliveryStatus, EndpointView, EventTypeInfo, RotatedSecret } from '../api-types';
import { formatTime } from '../format';
import { DeliveryLog } from './delivery-log';
import { EndpointForm } from './endpoint-form';
import { FormError } from './fields';
import { RecoverForm } from './recover-form';
import { SecretReveal } from './secret-reveal';
import { SigningKey } from './signing-key';

interface Revealed {
  title: string;
  value: string;
  note: string;
}

export function EndpointDetail(props: {
  endpoint: EndpointView;
  catalog: readonly EventTypeInfo[];
  initialLogStatus?: DeliveryStatus | '';
  onUpdated: (endpoint: EndpointView) => void;
  onDeleted: (endpointId: string) => void;
  onOpenCall: (callId: string) => void;
  onActivity: () => void;
}) {
  const { endpoint } = props;
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(work: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const setActive = (active: boolean) =>
    act(async () => props.onUpdated(await api<EndpointView>('PATCH', `/v1/endpoints/${endpoint.id}`, { body: { active } })));

  const rotate = () =>
    act(async () => {
      const rotated = await api<RotatedSecret>('POST', `/v1/endpoints/${endpoint.id}/rotate-secret`);
      setRevealed({
        title: 'Signing secret',
        value: rotated.secret,
        note: rotated.previousSecretExpiresAt
          ? `Shown once. The previous secret keeps signing beside it until ${formatTime(rotated.previousSecretExpiresAt)}.`
          : 'Shown once. It replaces the previous secret now.',
      });
      props.onUpdated(await api<EndpointView>('GET', `/v1/endpoints/${endpoint.id}`));
    });

  const remove = () =>
    act(async () => {
      await api('DELETE', `/v1/endpoints/${endpoint.id}`);
      props.onDeleted(endpoint.id);
    });

  const rotatable = endpoint.auth.type === 'hmac' || endpoint.auth.type === 'hmac-hex';
  return (
    <div class="endpoint-detail">
      <EndpointForm
        key={endpoint.updatedAt}
        mode="edit"
        endpoint={endpoint}
        catalog={props.catalog}
        onSaved={(updated, secret) => {
          if (secret) setRevealed({ title: 'Signing secret', value: secret, note: 'Shown once: give it to the receiver now.' });
          props.onUpdated(updated);
        }}
      />
      {revealed && (
        <SecretReveal title={revealed.title} value={revealed.value}>
          <p class="hint">{revealed.note}</p>
        </SecretReveal>
      )}
      <div class="actions">
        {endpoint.active ? (
          <button type="button" disabled={busy} onClick={() => void setActive(false)}>
            Disable
          </button>
        ) : (
          <>
            <button type="button" disabled={busy} onClick={() => void setActive(true)}>
              Enable
            </button>
            {endpoint.disabledReason && <span class="disabled-reason bad-text">Disabled: {endpoint.disabledReason}</span>}
          </>
        )}
        {rotatable && (
          <button type="button" disabled={busy} onClick={() => void rotate()}>
            Rotate secret
          </button>
        )}
        {!confirmingDelete && (
          <button type="button" class="danger" disabled={busy} onClick={() => setConfirmingDelete(true)}>
            Delete
          </button>
        )}
      </div>
      {confirmingDelete && (
        <div class="confirm" role="group" aria-label="Confirm deletion">
          <p>Delete this endpoint? Nothing more is sent to it; its delivery log is kept.</p>
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
            Delete endpoint
          </button>
          <button type="button" onClick={() => setConfirmingDelete(false)}>
            Cancel
          </button>
        </div>
      )}
      <FormError message={error} />
      {endpoint.auth.type === 'rsa' && <SigningKey />}
      <DeliveryLog key={`${endpoint.id}:${props.initialLogStatus ?? ''}`} endpointId={endpoint.id} kind={endpoint.kind} initialStatus={props.initialLogStatus ?? ''} onOpenCall={props.onOpenCall} onChange={props.onActivity} />
      <RecoverForm endpointId={endpoint.id} onRecovered={props.onActivity} />
    </div>
  );
}

/**
 * A client certificate for mutual TLS (custom endpoints): the certificate, its private key and
 * optionally the CAs to trust for the receiver, as PEM. Editing, the current certificate is shown
 * (subject, expiry, a warning when it expires soon or has expired) and can be replaced (the three
 * together) or removed. The key is never shown again.
 */
import type { CreateEndpointBody, EndpointView } from '../api-types';
import type { FieldErrors } from '../field-errors';
import { formatTime } from '../format';
import { TextAreaField } from './fields';

type TlsInput = NonNullable<CreateEndpointBody['tls']>;
type TlsView = NonNullable<EndpointView['tls']>;

export interface TlsState {
  certificate: string;
  privateKey: string;
  ca: string;
  /** Editing: remove the current certificate. */
  remove: boolean;
}

export const NO_TLS: TlsState = { certificate: '', privateKey: '', ca: '', remove: false };

/** A pasted PEM as sent: without the blank lines around it. */
const pem = (text: string) => `${text.trim()}\n`;

/**
 * What the fields ask for: a certificate (all three replaced together), null (remove it), or
 * undefined (nothing pasted: none on creation, unchanged on an update); or what is missing.
 */
export function tlsOf(state: TlsState): { value: TlsInput | null | undefined; errors?: undefined } | { errors: FieldErrors } {
  if (state.remove) return { value: null };
  const [certificate, privateKey, ca] = [state.certificate.trim(), state.privateKey.trim(), state.ca.trim()];
  if (!certificate && !privateKey && !ca) return { value: undefined };
  const errors: FieldErrors = {};
  if (!certificate) errors.tlsCertificate = 'Paste the certificate (PEM) that goes with the key';
  if (!privateKey) errors.tlsPrivateKey = 'Paste the private key (PEM) of the certificate';
  if (!certificate || !privateKey) return { errors };
  return { value: { certificate: pem(certificate), privateKey: pem(privateKey), ...(ca && { ca: pem(ca) }) } };
}

/** A warning when the certificate expires within 14 days or has expired; nothing while it is valid. */
export function ExpiryBadge(props: { tls: TlsView }) {
  if (props.tls.expiry === 'valid') return null;
  return <span class={`badge ${props.tls.expiry}`}>{props.tls.expiry === 'expired' ? 'Expired: TLS handshakes fail' : 'Expires soon'}</span>;
}

export function ClientCertificateFields(props: { idPrefix: string; state: TlsState; onState: (state: TlsState) => void; current: TlsView | null; errors: FieldErrors }) {
  const { state, current, errors } = props;
  const set = (change: Partial<TlsState>) => props.onState({ ...state, ...change });
  const removeId = `${props.idPrefix}-remove`;
  return (
    <fieldset class={errors.tls ? 'options invalid' : 'options'}>
      <legend>Client certificate (mutual TLS)</legend>
      {current ? (
        <div class="current-certificate">
          <p>
            Current: <code>{current.subject}</code>, issued by <code>{current.issuer}</code>, valid until {formatTime(current.notAfter)} <ExpiryBadge tls={current} />
            {current.ca && ' · trusts CAs of its own for the receiver'}
          </p>
          <p class="check">
            <input id={removeId} type="checkbox" checked={state.remove} onChange={(e) => set({ remove: e.currentTarget.checked })} />
            <label for={removeId}>Remove certificate</label>
          </p>
        </div>
      ) : (
        <p class="hint">Presented to receivers that ask for one. The private key is stored encrypted and never shown again.</p>
      )}
      {errors.tls && (
        <p class="field-error" role="alert">
          {errors.tls}
        </p>
      )}
      {!state.remove && (
        <div class="form-grid">
          <TextAreaField
            id={`${props.idPrefix}-certificate`}
            label="Client certificate (PEM)"
            value={state.certificate}
            onValue={(certificate) => set({ certificate })}
            placeholder="-----BEGIN CERTIFICATE-----"
            hint={current ? 'Paste a new certificate and key to replace the current ones (with the CAs); leave empty to keep them.' : 'The certificate, then any intermediates.'}
            error={errors.tlsCertificate}
          />
          <TextAreaField
            id={`${props.idPrefix}-private-key`}
            label="Private key (PEM)"
            value={state.privateKey}
            onValue={(privateKey) => set({ privateKey })}
            placeholder="-----BEGIN PRIVATE KEY-----"
            hint="Unencrypted (PKCS#8, PKCS#1 or SEC1)."
            error={errors.tlsPrivateKey}
          />
          <TextAreaField
            id={`${props.idPrefix}-ca`}
            label="CA certificates (PEM)"
            value={state.ca}
            onValue={(ca) => set({ ca })}
            placeholder="optional"
            hint="Optional: trust these CAs for the receiver's certificate instead of the public ones."
            error={errors.tlsCa}
          />
        </div>
      )}
    </fieldset>
  );
}

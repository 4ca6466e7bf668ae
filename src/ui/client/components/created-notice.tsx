/** After Create endpoint: what the receiver needs, shown once (an HMAC secret; the RSA public key). */
import type { CreatedEndpoint } from '../api-types';
import { KIND_LABELS, targetOf } from '../format';
import { SecretReveal } from './secret-reveal';
import { SigningKey } from './signing-key';

export function CreatedNotice(props: { created: CreatedEndpoint; onDismiss: () => void }) {
  const { created } = props;
  return (
    <section class="notice" aria-label="Endpoint created" role="status">
      <h3>
        {KIND_LABELS[created.kind]} endpoint created: <code>{targetOf(created)}</code>
      </h3>
      {created.auth.type === 'hmac' && (
        <SecretReveal title="Signing secret" value={created.auth.secret}>
          <p class="hint">
            Shown once: store it with the receiver now (verify with Standard Webhooks, e.g. <code>new Webhook(secret).verify(body, headers)</code>).
          </p>
        </SecretReveal>
      )}
      {created.auth.type === 'hmac-hex' && <SecretReveal title="Signing secret" value={created.auth.secret} />}
      {created.auth.type === 'rsa' && <SigningKey />}
      <button type="button" onClick={props.onDismiss}>
        Done
      </button>
    </section>
  );
}

/** callhook's RSA public key (GET /v1/signing-key), for receivers of RSA-signed endpoints, with a copy button. */
import { useEffect, useState } from 'preact/hooks';
import { apiText, messageOf } from '../api';
import { SecretReveal } from './secret-reveal';

export function SigningKey() {
  const [pem, setPem] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiText('/v1/signing-key').then(setPem, (err: unknown) => setError(messageOf(err)));
  }, []);
  if (error) return <p class="form-error" role="alert">Could not read the public key: {error}</p>;
  if (pem === null) return <p class="hint">Loading the public key…</p>;
  return (
    <SecretReveal title="RSA public key" value={pem} multiline>
      <p class="hint">
        Requests carry <code>x-recho-signature</code> over <code>{'"{timestamp}.{body}"'}</code>; verify it with this key (save it as{' '}
        <code>recho_public_key.pem</code>).
      </p>
    </SecretReveal>
  );
}

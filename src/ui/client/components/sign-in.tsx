/** Sign in with an API key (client `chk_…` or admin); it is checked with GET /v1/me before it is kept. */
import { useState } from 'preact/hooks';
import { ApiFailure, api, messageOf } from '../api';
import type { PrincipalView } from '../api-types';
import { storeApiKey } from '../session';
import { FormError, TextField } from './fields';

export function SignIn(props: { notice: string | null; onSignedIn: (me: PrincipalView) => void }) {
  const [key, setKey] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [general, setGeneral] = useState<string | null>(props.notice);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setFieldError(undefined);
    setGeneral(null);
    const trimmed = key.trim();
    if (!trimmed) {
      setFieldError('Enter your API key');
      return;
    }
    setBusy(true);
    try {
      const me = await api<PrincipalView>('GET', '/v1/me', { key: trimmed });
      storeApiKey(trimmed);
      props.onSignedIn(me);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) setFieldError('This API key is unknown or revoked');
      else setGeneral(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form aria-label="Sign in" noValidate onSubmit={(e) => void submit(e)}>
        <h2>Sign in</h2>
        <p class="hint">
          This callhook requires an API key. A client key (<code>chk_…</code>) shows its own client's webhooks; an admin key lets you pick
          any client. The key stays in this tab only (session storage).
        </p>
        <FormError message={general} />
        <TextField id="sign-in-key" label="API key" type="password" autoComplete="current-password" value={key} onValue={setKey} error={fieldError} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

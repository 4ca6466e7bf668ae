/**
 * The Webhooks page: asks GET /v1/me who it is. Open API (AUTH=off, or no key configured): the
 * page acts as an admin at once. Keys required: Sign in first; a key that stops working (revoked)
 * brings the sign-in back. Opened through a portal link (`/#portal=<token>`): the page acts as
 * the link's client, and a link that expires or is revoked shows a screen that says so.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, messageOf, setUnauthorizedHandler } from '../api';
import type { PrincipalView } from '../api-types';
import { forgetApiKey, inPortal, storedApiKey, takePortalTokenFromUrl } from '../session';
import { Dashboard } from './dashboard';
import { SignIn } from './sign-in';

type State =
  | { phase: 'loading' }
  | { phase: 'signed-out'; notice: string | null }
  | { phase: 'failed'; message: string }
  | { phase: 'link-ended'; expired: boolean }
  | { phase: 'ready'; me: PrincipalView };

export function App() {
  const [state, setState] = useState<State>({ phase: 'loading' });

  async function whoAmI() {
    setState({ phase: 'loading' });
    const hadKey = storedApiKey() !== null;
    try {
      setState({ phase: 'ready', me: await api<PrincipalView>('GET', '/v1/me') });
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401 && inPortal()) {
        setState({ phase: 'link-ended', expired: err.code === 'portal_link_expired' });
      } else if (err instanceof ApiFailure && err.status === 401) {
        forgetApiKey();
        setState({ phase: 'signed-out', notice: hadKey ? 'Your API key is no longer valid: sign in again.' : null });
      } else {
        setState({ phase: 'failed', message: messageOf(err) });
      }
    }
  }

  useEffect(() => {
    takePortalTokenFromUrl();
    setUnauthorizedHandler((failure) => {
      if (inPortal()) {
        setState({ phase: 'link-ended', expired: failure.code === 'portal_link_expired' });
        return;
      }
      forgetApiKey();
      setState((current) => (current.phase === 'ready' ? { phase: 'signed-out', notice: 'Your API key is no longer valid: sign in again.' } : current));
    });
    void whoAmI();
  }, []);

  switch (state.phase) {
    case 'loading':
      return <p class="hint loading">Loading…</p>;
    case 'failed':
      return (
        <main>
          <p class="form-error" role="alert">
            The API did not answer as expected: {state.message}
          </p>
          <button type="button" onClick={() => void whoAmI()}>
            Try again
          </button>
        </main>
      );
    case 'link-ended':
      return (
        <main class="link-ended">
          <h1>{state.expired ? 'This link has expired' : 'This link no longer works'}</h1>
          <p>{state.expired ? 'Links to this page last a limited time.' : 'It was revoked.'} Open the page again from where you found the link to get a new one.</p>
        </main>
      );
    case 'signed-out':
      return <SignIn notice={state.notice} onSignedIn={(me) => setState({ phase: 'ready', me })} />;
    case 'ready':
      return (
        <Dashboard
          me={state.me}
          onSignOut={() => {
            forgetApiKey();
            setState({ phase: 'signed-out', notice: null });
          }}
        />
      );
  }
}

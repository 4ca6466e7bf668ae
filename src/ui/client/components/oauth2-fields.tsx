/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for a custom endpoint: callhook asks the token
 * endpoint for an access token and sends it as a Bearer token. The client secret is stored
 * encrypted and shown as a hint only; changing anything of it takes the secret again (the API
 * takes the whole auth).
 */
import type { AuthInput, AuthView } from '../api-types';
import type { FieldErrors } from '../field-errors';
import { SelectField, TextField } from './fields';

type OAuth2View = Extract<AuthView, { type: 'oauth2' }>;
type OAuth2Input = Extract<AuthInput, { type: 'oauth2' }>;
type Method = OAuth2View['method'];

export interface OAuth2State {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  audience: string;
  method: Method;
}

const METHOD_OPTIONS: { value: Method; label: string }[] = [
  { value: 'client_secret_basic', label: 'HTTP Basic header (client_secret_basic)' },
  { value: 'client_secret_post', label: 'In the request body (client_secret_post)' },
];

export function oauth2StateOf(auth: AuthView | undefined): OAuth2State {
  const current = auth?.type === 'oauth2' ? auth : undefined;
  return {
    tokenUrl: current?.tokenUrl ?? '',
    clientId: current?.clientId ?? '',
    clientSecret: '',
    scope: current?.scope ?? '',
    audience: current?.audience ?? '',
    method: current?.method ?? 'client_secret_basic',
  };
}

export function oauth2Input(state: OAuth2State): OAuth2Input {
  return {
    type: 'oauth2',
    tokenUrl: state.tokenUrl.trim(),
    clientId: state.clientId.trim(),
    clientSecret: state.clientSecret,
    ...(state.scope.trim() && { scope: state.scope.trim() }),
    ...(state.audience.trim() && { audience: state.audience.trim() }),
    method: state.method,
  };
}

/** Whether the fields differ from the stored OAuth client (a secret typed in is a change). */
export function oauth2Changed(state: OAuth2State, auth: AuthView): boolean {
  if (auth.type !== 'oauth2' || state.clientSecret !== '') return true;
  return (
    state.tokenUrl.trim() !== auth.tokenUrl ||
    state.clientId.trim() !== auth.clientId ||
    state.scope.trim() !== (auth.scope ?? '') ||
    state.audience.trim() !== (auth.audience ?? '') ||
    state.method !== auth.method
  );
}

// The labels avoid "URL", "Client ID", "Token" and "Authentication" alone: other fields of the page carry those names.
export function OAuth2Fields(props: { idPrefix: string; state: OAuth2State; onState: (state: OAuth2State) => void; current: AuthView | undefined; errors: FieldErrors }) {
  const { state, errors } = props;
  const set = (change: Partial<OAuth2State>) => props.onState({ ...state, ...change });
  const stored = props.current?.type === 'oauth2' ? props.current : undefined;
  return (
    <>
      <TextField
        id={`${props.idPrefix}-token-url`}
        label="Token endpoint"
        inputMode="url"
        value={state.tokenUrl}
        onValue={(tokenUrl) => set({ tokenUrl })}
        placeholder="https://auth.example.com/oauth/token"
        hint="The authorization server's token URL; the access token is fetched and cached, and sent as a Bearer token."
        error={errors.tokenUrl}
      />
      <TextField id={`${props.idPrefix}-client-id`} label="OAuth client_id" value={state.clientId} onValue={(clientId) => set({ clientId })} error={errors.oauthClientId} />
      <TextField
        id={`${props.idPrefix}-client-secret`}
        label="OAuth client_secret"
        type="password"
        autoComplete="new-password"
        value={state.clientSecret}
        onValue={(clientSecret) => set({ clientSecret })}
        hint={stored ? `Leave empty to keep the current secret (${stored.clientSecretHint}); enter it again to change any OAuth setting.` : 'Stored encrypted; shown only as a hint afterwards.'}
        error={errors.clientSecret}
      />
      <TextField id={`${props.idPrefix}-scope`} label="Scope" value={state.scope} onValue={(scope) => set({ scope })} placeholder="optional, e.g. webhooks:write" error={errors.scope} />
      <TextField id={`${props.idPrefix}-audience`} label="Audience" value={state.audience} onValue={(audience) => set({ audience })} placeholder="optional (Auth0 and others ask for it)" error={errors.audience} />
      <SelectField id={`${props.idPrefix}-method`} label="Send the client credentials" value={state.method} onValue={(method) => set({ method })} options={METHOD_OPTIONS} error={errors.method} />
    </>
  );
}

/**
 * The endpoint form: Create endpoint (type; URL or email address; for Custom the authentication,
 * custom headers and a client certificate; an optional rate limit; a filter and a retry schedule;
 * the triggers) and the edit form of an endpoint (Save: only what changed is sent). The API's
 * errors are shown next to the fields they name.
 */
import { useId, useState } from 'preact/hooks';
import { api } from '../api';
import type { AuthInput, AuthView, CreateEndpointBody, CreatedEndpoint, EndpointKind, EndpointView, EventTypeInfo, Subscription, UpdateEndpointBody } from '../api-types';
import { formErrorsOf, NO_ERRORS, type FieldErrors, type FieldName, type FormErrors } from '../field-errors';
import { AUTH_LABELS, KIND_LABELS } from '../format';
import { generateWebhookSecret } from '../webhook-secret';
import { compacted, createOptions, EndpointOptionsFields, optionsStateOf, patchOptions, type OptionsState } from './endpoint-options';
import { FormError, SelectField, TextField } from './fields';
import { OAuth2Fields, oauth2Changed, oauth2Input, oauth2StateOf } from './oauth2-fields';
import { ALL_EVENTS, TriggersFieldset } from './triggers-fieldset';

type AuthType = AuthView['type'];

const FORM_FIELDS: readonly FieldName[] = ['kind', 'url', 'email', 'auth', 'token', 'username', 'password', 'events', 'description', 'rateLimit'];
/** The fields of the options (OAuth client, headers, client certificate, filter, retries). */
const OPTION_FIELDS: readonly FieldName[] = ['tokenUrl', 'oauthClientId', 'clientSecret', 'scope', 'audience', 'method', 'headers', 'tls', 'tlsCertificate', 'tlsPrivateKey', 'tlsCa', 'filter', 'retry'];
const ALL_FIELDS = [...FORM_FIELDS, ...OPTION_FIELDS];

const RATE_LIMIT_INVALID = 'Enter a whole number of requests per second, or leave empty for no limit';

/** The Rate limit field's value: null when empty (no limit), a number, or undefined when it is not a whole number. */
function parseRateLimit(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** What the page finds wrong before sending: the rate limit, the options. */
function localErrors(limit: number | null | undefined, optionErrors: FieldErrors | undefined): FormErrors {
  return { fields: { ...(limit === undefined && { rateLimit: RATE_LIMIT_INVALID }), ...optionErrors }, general: null };
}

const KIND_OPTIONS = (Object.keys(KIND_LABELS) as EndpointKind[]).map((kind) => ({ value: kind, label: KIND_LABELS[kind] }));

const URL_PLACEHOLDERS: Record<Exclude<EndpointKind, 'email'>, string> = {
  custom: 'https://example.com/webhook',
  slack: 'https://hooks.slack.com/services/…',
  teams: 'https://….webhook.office.com/…',
};

function authOptions(current: AuthType | undefined): { value: AuthType; label: string }[] {
  const choices: AuthType[] = ['none', 'bearer', 'basic', 'oauth2', 'rsa', 'hmac'];
  // hmac-hex is set through the API (a receiver's own header and secret); an endpoint that has it keeps it.
  if (current === 'hmac-hex') choices.push('hmac-hex');
  return choices.map((type) => ({ value: type, label: AUTH_LABELS[type] }));
}

const sameEvents = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((event) => b.includes(event));

/** The checkboxes offer the catalog's names and `*` only; the API checks them all the same. */
const asSubscriptions = (events: readonly string[]) => events as Subscription[];

interface CommonProps {
  catalog: readonly EventTypeInfo[];
}

export type EndpointFormProps = CommonProps &
  (
    | {
        mode: 'create';
        /** The client the endpoint is for (a client key's own, or the one an admin picked). */
        clientId: string;
        /** An error about the client (shown next to the page's Client ID field); null clears it. */
        onClientIdError: (message: string | null) => void;
        onCreated: (created: CreatedEndpoint) => void;
        onCancel: () => void;
      }
    | {
        mode: 'edit';
        endpoint: EndpointView;
        /** `secret`: an HMAC secret made for this save (switching to HMAC), to show once. */
        onSaved: (updated: EndpointView, secret: string | null) => void;
      }
  );

export function EndpointForm(props: EndpointFormProps) {
  const id = useId();
  const current = props.mode === 'edit' ? props.endpoint : undefined;
  /** Slack and Teams urls are credentials: the API shows them redacted, so the field starts empty. */
  const urlRedacted = current !== undefined && (current.kind === 'slack' || current.kind === 'teams');
  const [kind, setKind] = useState<EndpointKind>(current?.kind ?? 'custom');
  const [url, setUrl] = useState(urlRedacted ? '' : (current?.url ?? ''));
  const [email, setEmail] = useState(current?.email ?? '');
  const [authType, setAuthType] = useState<AuthType>(current?.auth.type ?? 'none');
  const [token, setToken] = useState('');
  const [username, setUsername] = useState(current?.auth.type === 'basic' ? current.auth.username : '');
  const [password, setPassword] = useState('');
  const [oauth2, setOAuth2] = useState(() => oauth2StateOf(current?.auth));
  const [options, setOptions] = useState<OptionsState>(() => optionsStateOf(current));
  const [description, setDescription] = useState(current?.description ?? '');
  const [rateLimit, setRateLimit] = useState(current?.rateLimit?.toString() ?? '');
  const [events, setEvents] = useState<string[]>(current ? [...current.events] : [ALL_EVENTS]);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);

  function authInput(): AuthInput | undefined {
    switch (authType) {
      case 'none':
      case 'rsa':
        return { type: authType };
      case 'bearer':
        return { type: 'bearer', token };
      case 'basic':
        return { type: 'basic', username, password };
      case 'oauth2':
        return oauth2Input(oauth2);
      case 'hmac':
        return { type: 'hmac' };
      case 'hmac-hex':
        return undefined; // only kept, never set here
    }
  }

  async function create(clientId: string, onCreated: (created: CreatedEndpoint) => void, onClientIdError: (message: string | null) => void) {
    if (!clientId.trim()) {
      onClientIdError('Enter the client this endpoint is for');
      return;
    }
    onClientIdError(null);
    const limit = parseRateLimit(rateLimit);
    const checked = createOptions(kind, options);
    if (limit === undefined || checked.errors) return setErrors(localErrors(limit, checked.errors));
    setOptions(compacted(options));
    const auth = kind === 'custom' ? authInput() : undefined;
    const body: CreateEndpointBody = {
      clientId: clientId.trim(),
      kind,
      events: asSubscriptions(events),
      ...(kind === 'email' ? { email: email.trim() } : url.trim() ? { url: url.trim() } : {}),
      ...(description.trim() && { description: description.trim() }),
      ...(limit !== null && { rateLimit: limit }),
      ...(auth && { auth }),
      ...checked.body,
    };
    try {
      onCreated(await api<CreatedEndpoint>('POST', '/v1/endpoints', { body }));
    } catch (err) {
      const found = formErrorsOf(err, [...ALL_FIELDS, 'clientId']);
      onClientIdError(found.fields.clientId ?? null);
      setErrors(found);
    }
  }

  async function save(endpoint: EndpointView, onSaved: (updated: EndpointView, secret: string | null) => void) {
    const patch: UpdateEndpointBody = {};
    if (endpoint.kind === 'email') {
      if (email.trim() !== endpoint.email) patch.email = email.trim();
    } else if (urlRedacted ? url.trim() !== '' : url.trim() !== endpoint.url) {
      patch.url = url.trim();
    }
    if (description.trim() !== (endpoint.description ?? '')) patch.description = description.trim() || null;
    const limit = parseRateLimit(rateLimit);
    const checked = patchOptions(endpoint, options);
    if (limit === undefined || checked.errors) return setErrors(localErrors(limit, checked.errors));
    setOptions(compacted(options));
    Object.assign(patch, checked.patch);
    if (limit !== endpoint.rateLimit) patch.rateLimit = limit;
    if (!sameEvents(events, endpoint.events)) patch.events = asSubscriptions(events);
    let secret: string | null = null;
    const basicChanged = authType === 'basic' && (password !== '' || (endpoint.auth.type === 'basic' && username !== endpoint.auth.username));
    if (basicChanged && password === '') {
      setErrors({ fields: { password: 'Enter the password again to change the username' }, general: null });
      return;
    }
    const oauthChanged = authType === 'oauth2' && oauth2Changed(oauth2, endpoint.auth);
    if (oauthChanged && oauth2.clientSecret === '') {
      const message = endpoint.auth.type === 'oauth2' ? 'Enter the client secret again to change the OAuth settings' : 'Enter the client secret';
      setErrors({ fields: { clientSecret: message }, general: null });
      return;
    }
    if (endpoint.kind === 'custom' && (authType !== endpoint.auth.type || (authType === 'bearer' && token !== '') || basicChanged || oauthChanged)) {
      if (authType === 'hmac') {
        // The API reveals a generated secret only when it creates the endpoint: make it here, show it once.
        secret = generateWebhookSecret();
        patch.auth = { type: 'hmac', secret };
      } else {
        const auth = authInput();
        if (auth) patch.auth = auth;
      }
    }
    if (Object.keys(patch).length === 0) {
      setErrors({ fields: {}, general: 'Nothing to save: change a field first' });
      return;
    }
    try {
      onSaved(await api<EndpointView>('PATCH', `/v1/endpoints/${endpoint.id}`, { body: patch }), secret);
      setToken('');
      setPassword('');
      setOAuth2((state) => ({ ...state, clientSecret: '' }));
    } catch (err) {
      setErrors(formErrorsOf(err, ALL_FIELDS));
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    try {
      if (props.mode === 'create') await create(props.clientId, props.onCreated, props.onClientIdError);
      else await save(props.endpoint, props.onSaved);
    } finally {
      setBusy(false);
    }
  }

  const f = errors.fields;
  const tokenHint =
    current?.auth.type === 'bearer' && authType === 'bearer' ? `Leave empty to keep the current token (${current.auth.tokenHint})` : undefined;
  return (
    <form class="endpoint-form" aria-label={props.mode === 'create' ? 'Create endpoint' : 'Edit endpoint'} noValidate onSubmit={(e) => void submit(e)}>
      <FormError message={errors.general} />
      <div class="form-grid">
        <SelectField id={`${id}-kind`} label="Type" value={kind} onValue={setKind} options={KIND_OPTIONS} disabled={props.mode === 'edit'} error={f.kind} />
        {kind === 'email' ? (
          <TextField id={`${id}-email`} label="Email address" type="email" inputMode="email" value={email} onValue={setEmail} placeholder="ops@example.com" error={f.email} />
        ) : (
          <TextField
            id={`${id}-url`}
            label="URL"
            inputMode="url"
            value={url}
            onValue={setUrl}
            placeholder={urlRedacted ? `${current?.url ?? ''} (leave empty to keep)` : URL_PLACEHOLDERS[kind]}
            hint={urlRedacted ? 'The webhook URL is a credential: it is stored encrypted and shown only in part.' : undefined}
            error={f.url}
          />
        )}
        {kind === 'custom' && (
          <SelectField id={`${id}-auth`} label="Authentication" value={authType} onValue={setAuthType} options={authOptions(current?.auth.type)} error={f.auth} />
        )}
        {kind === 'custom' && authType === 'bearer' && (
          <TextField id={`${id}-token`} label="Token" type="password" autoComplete="new-password" value={token} onValue={setToken} hint={tokenHint} error={f.token} />
        )}
        {kind === 'custom' && authType === 'basic' && (
          <>
            <TextField id={`${id}-username`} label="Username" autoComplete="off" value={username} onValue={setUsername} error={f.username} />
            <TextField
              id={`${id}-password`}
              label="Password"
              type="password"
              autoComplete="new-password"
              value={password}
              onValue={setPassword}
              hint={current?.auth.type === 'basic' ? `Leave empty to keep the current password (${current.auth.passwordHint})` : 'Stored encrypted; shown only as a hint afterwards.'}
              error={f.password}
            />
          </>
        )}
        {kind === 'custom' && authType === 'oauth2' && <OAuth2Fields idPrefix={`${id}-oauth2`} state={oauth2} onState={setOAuth2} current={current?.auth} errors={f} />}
        {kind === 'custom' && authType === 'rsa' && props.mode === 'create' && (
          <p class="hint">Requests are signed with callhook's RSA key; its public key is shown once the endpoint exists.</p>
        )}
        {kind === 'custom' && authType === 'hmac' && current?.auth.type !== 'hmac' && (
          <p class="hint">A signing secret is generated and shown once, after you {props.mode === 'create' ? 'create the endpoint' : 'save'}.</p>
        )}
        <TextField id={`${id}-description`} label="Description" value={description} onValue={setDescription} placeholder="optional, e.g. CRM" error={f.description} />
        <TextField
          id={`${id}-rate-limit`}
          label="Rate limit (requests/s)"
          inputMode="numeric"
          value={rateLimit}
          onValue={setRateLimit}
          placeholder="no limit"
          hint="At most this many requests per second, across every call; empty: no limit."
          error={f.rateLimit}
        />
      </div>
      <EndpointOptionsFields idPrefix={`${id}-options`} kind={kind} state={options} onState={setOptions} current={current} catalog={props.catalog} errors={f} />
      <TriggersFieldset idPrefix={`${id}-triggers`} catalog={props.catalog} events={events} onEvents={setEvents} error={f.events} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {props.mode === 'create' ? 'Create endpoint' : 'Save'}
        </button>
        {props.mode === 'create' && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        {busy && <span class="busy">Working…</span>}
      </div>
    </form>
  );
}

/**
 * The signed-in page: who is signed in, the Client ID (a client key's own; an admin picks one,
 * or none for every client), and three tabs: Destination Endpoints, Call view and Event Catalog.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { EndpointView, EventTypeCatalog, EventTypeInfo, PrincipalView } from '../api-types';
import { CallView } from './call-view';
import { EndpointsPanel } from './endpoints-panel';
import { EventCatalog } from './event-catalog';
import { FormError, TextField } from './fields';

type Tab = 'endpoints' | 'call' | 'catalog';

export function Dashboard(props: { me: PrincipalView; onSignOut: () => void }) {
  const { me } = props;
  const isAdmin = me.role === 'admin';
  const [clientInput, setClientInput] = useState(me.clientId ?? '');
  const [clientId, setClientId] = useState(me.clientId ?? '');
  const [clientIdError, setClientIdError] = useState<string | null>(null);
  const [catalog, setCatalog] = useState<EventTypeInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('endpoints');
  const [callToOpen, setCallToOpen] = useState('');
  const [endpoints, setEndpoints] = useState<ReadonlyMap<string, EndpointView>>(new Map());
  const debounce = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  function readCatalog() {
    api<EventTypeCatalog>('GET', '/v1/event-types').then(
      (catalog) => setCatalog(catalog.data),
      (err: unknown) => setError(`Could not read the event types: ${messageOf(err)}`),
    );
  }
  useEffect(readCatalog, []);
  const portal = me.portal;
  // A portal link's accent colour (set through the CSSOM: the page's policy allows no inline style).
  useEffect(() => {
    if (portal?.theme?.accentColor) document.documentElement.style.setProperty('--accent', portal.theme.accentColor);
    if (portal?.theme?.title) document.title = portal.theme.title;
  }, [portal]);

  function pickClient(value: string) {
    setClientInput(value);
    setClientIdError(null);
    clearTimeout(debounce.current);
    debounce.current = setTimeout(() => setClientId(value.trim()), 400);
  }

  function openCall(callId: string) {
    setCallToOpen(callId);
    setTab('call');
  }

  return (
    <>
      <header class="top">
        <h1>
          {portal?.theme?.logoUrl && <img class="logo" src={portal.theme.logoUrl} alt="" />}
          {portal?.theme?.title ?? 'Webhooks'}
        </h1>
        <div class="who">
          {portal ? (
            <span>
              Client <code>{me.clientId}</code> · {portal.capabilities === 'read' ? 'view only' : 'can manage'} · this link works until{' '}
              {new Date(portal.expiresAt).toLocaleString()}
            </span>
          ) : !me.authRequired ? (
            <span>Open API: no key required (every request acts as an admin)</span>
          ) : isAdmin ? (
            <span>Signed in with an admin key</span>
          ) : (
            <span>
              Signed in as client <code>{me.clientId}</code>
            </span>
          )}
          {me.authRequired && !portal && (
            <button type="button" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main>
        <div class="client-picker">
          <TextField
            id="client-id"
            label="Client ID"
            value={clientInput}
            onValue={pickClient}
            readOnly={!isAdmin}
            placeholder={isAdmin ? 'every client' : undefined}
            hint={isAdmin ? 'The client whose webhooks to show and create; empty shows every client.' : 'Your key acts for this client only.'}
            error={clientIdError ?? undefined}
          />
        </div>
        {portal?.capabilities === 'read' && (
          <p class="notice" role="note">
            View only: this link shows your webhooks and their deliveries; it cannot change them.
          </p>
        )}
        <FormError message={error} />
        <div role="tablist" aria-label="Views" class="tabs">
          <button type="button" role="tab" id="tab-endpoints" aria-controls="panel-endpoints" aria-selected={tab === 'endpoints'} onClick={() => setTab('endpoints')}>
            Destination Endpoints
          </button>
          <button type="button" role="tab" id="tab-call" aria-controls="panel-call" aria-selected={tab === 'call'} onClick={() => setTab('call')}>
            Call view
          </button>
          <button type="button" role="tab" id="tab-catalog" aria-controls="panel-catalog" aria-selected={tab === 'catalog'} onClick={() => setTab('catalog')}>
            Event Catalog
          </button>
        </div>
        <div role="tabpanel" id="panel-endpoints" aria-labelledby="tab-endpoints" hidden={tab !== 'endpoints'}>
          <EndpointsPanel
            clientId={clientId}
            fieldClientId={clientInput.trim()}
            isAdmin={isAdmin}
            catalog={catalog}
            onClientIdError={setClientIdError}
            onOpenCall={openCall}
            onEndpoints={(shown) => setEndpoints((known) => new Map([...known, ...shown.map((e) => [e.id, e] as const)]))}
          />
        </div>
        <div role="tabpanel" id="panel-call" aria-labelledby="tab-call" hidden={tab !== 'call'}>
          <CallView initialCallId={callToOpen} endpoints={endpoints} />
        </div>
        <div role="tabpanel" id="panel-catalog" aria-labelledby="tab-catalog" hidden={tab !== 'catalog'}>
          <EventCatalog catalog={catalog} isAdmin={isAdmin} onChanged={readCatalog} />
        </div>
      </main>
    </>
  );
}

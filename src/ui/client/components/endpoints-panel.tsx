/**
 * Destination Endpoints: the client's endpoints (an admin's pick: one client, or all of them)
 * with their health, Create new, and one endpoint opened at a time.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import type { CreatedEndpoint, DeliveryStatus, EndpointHealth, EndpointHealthList, EndpointList, EndpointView, EventTypeInfo } from '../api-types';
import { CreatedNotice } from './created-notice';
import { EndpointCard } from './endpoint-card';
import { EndpointForm } from './endpoint-form';
import { FormError } from './fields';

const PAGE = 50;

export function EndpointsPanel(props: {
  /** The client shown ('' for an admin: every client). */
  clientId: string;
  /** What the Client ID field shows now: the client a new endpoint is for (the list follows the field after a pause in typing). */
  fieldClientId: string;
  isAdmin: boolean;
  catalog: readonly EventTypeInfo[];
  onClientIdError: (message: string | null) => void;
  onOpenCall: (callId: string) => void;
  /** The endpoints shown, for the call view to name them. */
  onEndpoints: (endpoints: readonly EndpointView[]) => void;
}) {
  const [endpoints, setEndpoints] = useState<EndpointView[]>([]);
  const [health, setHealth] = useState<ReadonlyMap<string, EndpointHealth>>(new Map());
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedEndpoint | null>(null);
  const [open, setOpen] = useState<{ id: string; logStatus: DeliveryStatus | '' } | null>(null);

  const scope = { clientId: props.clientId || undefined };

  async function load() {
    setLoading(true);
    setError(null);
    try {
      const [list, healthList] = await Promise.all([
        api<EndpointList>('GET', `/v1/endpoints${query({ ...scope, limit: PAGE })}`),
        api<EndpointHealthList>('GET', `/v1/endpoint-health${query({ ...scope, limit: PAGE })}`),
      ]);
      setEndpoints(list.data);
      setNextCursor(list.nextCursor);
      setHealth(new Map(healthList.data.map((h) => [h.endpointId, h])));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoading(false);
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    try {
      const [list, healthList] = await Promise.all([
        api<EndpointList>('GET', `/v1/endpoints${query({ ...scope, limit: PAGE, after: nextCursor })}`),
        api<EndpointHealthList>('GET', `/v1/endpoint-health${query({ ...scope, limit: PAGE, after: nextCursor })}`),
      ]);
      setEndpoints((shown) => [...shown, ...list.data]);
      setNextCursor(list.nextCursor);
      setHealth((known) => new Map([...known, ...healthList.data.map((h) => [h.endpointId, h] as const)]));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  /** One endpoint's health again (after a test event, a retry). */
  async function refreshHealth(endpointId: string) {
    try {
      const fresh = await api<EndpointHealth>('GET', `/v1/endpoints/${endpointId}/health`);
      setHealth((known) => new Map(known).set(endpointId, fresh));
    } catch (err) {
      setError(`Could not refresh the health of ${endpointId}: ${messageOf(err)}`);
    }
  }

  // Another client picked: its list (an endpoint left open stays open if it is in it).
  useEffect(() => {
    void load();
  }, [props.clientId]);

  useEffect(() => props.onEndpoints(endpoints), [endpoints]);

  function replace(updated: EndpointView) {
    setEndpoints((shown) => shown.map((e) => (e.id === updated.id ? updated : e)));
  }

  return (
    <section class="endpoints" aria-labelledby="endpoints-title">
      <div class="section-head">
        <h2 id="endpoints-title">Destination Endpoints</h2>
        {!creating && (
          <button
            type="button"
            class="primary"
            onClick={() => {
              setCreating(true);
              setCreated(null);
              setOpen(null);
            }}
          >
            Create new
          </button>
        )}
        <button type="button" onClick={() => void load()} disabled={loading}>
          Refresh
        </button>
      </div>
      {creating && (
        <EndpointForm
          mode="create"
          clientId={props.fieldClientId}
          catalog={props.catalog}
          onClientIdError={props.onClientIdError}
          onCreated={(endpoint) => {
            setCreating(false);
            setCreated(endpoint);
            void load();
          }}
          onCancel={() => {
            setCreating(false);
            props.onClientIdError(null);
          }}
        />
      )}
      {created && <CreatedNotice created={created} onDismiss={() => setCreated(null)} />}
      <FormError message={error} />
      {endpoints.length === 0 ? (
        <p class="hint">{loading ? 'Loading…' : props.clientId ? `No endpoint for client ${props.clientId} yet: Create new.` : 'No endpoint yet: Create new.'}</p>
      ) : (
        <ul class="endpoint-list" aria-label="Endpoints">
          {endpoints.map((endpoint) => (
            <li key={endpoint.id}>
              <EndpointCard
                endpoint={endpoint}
                health={health.get(endpoint.id)}
                catalog={props.catalog}
                showClient={props.isAdmin && !props.clientId}
                expanded={open?.id === endpoint.id}
                initialLogStatus={open?.id === endpoint.id ? open.logStatus : ''}
                onToggle={(logStatus) => {
                  setCreating(false);
                  setOpen(open?.id === endpoint.id && !logStatus ? null : { id: endpoint.id, logStatus: logStatus ?? '' });
                }}
                onUpdated={replace}
                onDeleted={(id) => {
                  setOpen(null);
                  setEndpoints((shown) => shown.filter((e) => e.id !== id));
                }}
                onOpenCall={props.onOpenCall}
                onActivity={() => void refreshHealth(endpoint.id)}
              />
            </li>
          ))}
        </ul>
      )}
      {nextCursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more endpoints
        </button>
      )}
    </section>
  );
}

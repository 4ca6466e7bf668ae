/**
 * One endpoint in the list: kind, target, triggers, state (paused, disabled and why, the circuit),
 * its options (headers, filter, retries, client certificate), last delivery, health chart; Send
 * test event; Pause or Resume; Manage opens it.
 */
import type { DeliveryStatus, EndpointHealth, EndpointView, EventTypeInfo } from '../api-types';
import { AUTH_LABELS, KIND_LABELS, circuitLabel, formatTime, statusLabel, targetOf, triggersLabel } from '../format';
import { EndpointDetail } from './endpoint-detail';
import { EndpointOptionsFacts } from './endpoint-options-facts';
import { HealthChart } from './health-chart';
import { PauseControl } from './pause-control';
import { TestEvent } from './test-event';

function LastDelivery(props: { health: EndpointHealth | undefined; kind: EndpointView['kind'] }) {
  const last = props.health?.lastDelivery;
  if (props.health === undefined) return <>…</>;
  if (!last) return <>none yet</>;
  return (
    <>
      <span class={`badge ${last.status}`}>{last.status}</span> {last.eventType}
      {last.lastStatusCode !== null && ` · ${statusLabel(props.kind, last.lastStatusCode)}`}
      {last.status !== 'succeeded' && last.lastError && <span class="error-text"> · {last.lastError}</span>} · {formatTime(last.endedAt ?? last.createdAt)}
    </>
  );
}

export function EndpointCard(props: {
  endpoint: EndpointView;
  health: EndpointHealth | undefined;
  catalog: readonly EventTypeInfo[];
  showClient: boolean;
  expanded: boolean;
  initialLogStatus: DeliveryStatus | '';
  onToggle: (logStatus?: DeliveryStatus) => void;
  onUpdated: (endpoint: EndpointView) => void;
  onDeleted: (endpointId: string) => void;
  onOpenCall: (callId: string) => void;
  onActivity: () => void;
}) {
  const { endpoint, health } = props;
  const target = targetOf(endpoint);
  const circuit = health ? circuitLabel(health.circuit) : null;
  return (
    <article class={endpoint.active ? 'endpoint' : 'endpoint disabled'} aria-label={`${KIND_LABELS[endpoint.kind]} endpoint ${target}`}>
      <header>
        <span class={`badge kind-${endpoint.kind}`}>{KIND_LABELS[endpoint.kind]}</span>
        <code class="target">{target}</code>
        <span class={endpoint.active ? 'badge active' : 'badge inactive'}>{endpoint.active ? 'Active' : 'Disabled'}</span>
        {endpoint.pausedAt !== null && <span class="badge paused">Paused</span>}
        {endpoint.description && <span class="description">{endpoint.description}</span>}
      </header>
      <div class="summary">
        <dl class="facts">
          {props.showClient && (
            <>
              <dt>Client</dt>
              <dd>{endpoint.clientId}</dd>
            </>
          )}
          {endpoint.pausedAt !== null && (
            <>
              <dt>Paused since</dt>
              <dd class="paused-since">
                {formatTime(endpoint.pausedAt)}
                {endpoint.pausedBy && ` by ${endpoint.pausedBy}`} · deliveries wait until it is resumed
              </dd>
            </>
          )}
          {!endpoint.active && endpoint.disabledReason && (
            <>
              <dt>Why disabled</dt>
              <dd class="disabled-reason bad-text">
                {endpoint.disabledReason}
                {endpoint.disabledAt && ` · ${formatTime(endpoint.disabledAt)}`}
              </dd>
            </>
          )}
          {circuit !== null && (
            <>
              <dt>Circuit</dt>
              <dd class="circuit-state bad-text">{circuit}</dd>
            </>
          )}
          <dt>Triggers</dt>
          <dd>{triggersLabel(endpoint.events)}</dd>
          {endpoint.kind === 'custom' && (
            <>
              <dt>Authentication</dt>
              <dd>{AUTH_LABELS[endpoint.auth.type]}</dd>
            </>
          )}
          {endpoint.rateLimit !== null && (
            <>
              <dt>Rate limit</dt>
              <dd>{endpoint.rateLimit} requests/s</dd>
            </>
          )}
          <EndpointOptionsFacts endpoint={endpoint} />
          <dt>Last delivery</dt>
          <dd class="last-delivery">
            <LastDelivery health={health} kind={endpoint.kind} />
          </dd>
          <dt>Failed, waiting</dt>
          <dd class="failed-waiting">
            {health === undefined ? (
              '…'
            ) : health.failedWaiting === 0 ? (
              '0'
            ) : (
              <button type="button" class="link bad-text" onClick={() => props.onToggle('failed')}>
                {health.failedWaiting}
                {health.failedWaitingCapped ? '+' : ''} failed {health.failedWaiting === 1 ? 'delivery' : 'deliveries'}
              </button>
            )}
          </dd>
        </dl>
        {health && <HealthChart health={health} />}
      </div>
      <div class="actions">
        <TestEvent endpointId={endpoint.id} kind={endpoint.kind} catalog={props.catalog} onDone={props.onActivity} />
        <PauseControl endpoint={endpoint} onUpdated={props.onUpdated} />
        <button type="button" aria-expanded={props.expanded} onClick={() => props.onToggle()}>
          {props.expanded ? 'Close' : 'Manage'}
        </button>
      </div>
      {props.expanded && (
        <EndpointDetail
          endpoint={endpoint}
          catalog={props.catalog}
          initialLogStatus={props.initialLogStatus}
          onUpdated={props.onUpdated}
          onDeleted={props.onDeleted}
          onOpenCall={props.onOpenCall}
          onActivity={props.onActivity}
        />
      )}
    </article>
  );
}

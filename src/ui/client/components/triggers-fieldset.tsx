/**
 * Notification Triggers: "All call events" (`*`) and one checkbox per event type of the catalog,
 * named by the type and described by its title. `*` stands alone (the API refuses it beside
 * names), and it does not include the system types (WEBHOOK_DELIVERY_FAILED, WEBHOOK_ENDPOINT_DISABLED).
 */
import type { EventTypeInfo } from '../api-types';

export const ALL_EVENTS = '*';

/**
 * The types an endpoint may subscribe to: all but the test event (it goes to one endpoint when
 * asked) and archived ones, except those the endpoint has already (it keeps them until unticked).
 */
export function subscribableTypes(catalog: readonly EventTypeInfo[], subscribed: readonly string[] = []): EventTypeInfo[] {
  return catalog.filter((type) => type.name !== 'WEBHOOK_TEST' && (type.status !== 'archived' || subscribed.includes(type.name)));
}

export function TriggersFieldset(props: {
  idPrefix: string;
  catalog: readonly EventTypeInfo[];
  events: readonly string[];
  onEvents: (events: string[]) => void;
  error?: string | undefined;
}) {
  const all = props.events.includes(ALL_EVENTS);
  const errorId = `${props.idPrefix}-events-error`;
  function toggle(name: string, on: boolean) {
    const rest = props.events.filter((event) => event !== name && event !== ALL_EVENTS);
    props.onEvents(on ? [...rest, name] : rest);
  }
  return (
    <fieldset class={props.error ? 'triggers invalid' : 'triggers'} aria-describedby={props.error ? errorId : undefined}>
      <legend>Notification Triggers</legend>
      <div class="trigger all">
        <input
          type="checkbox"
          id={`${props.idPrefix}-all`}
          checked={all}
          aria-describedby={`${props.idPrefix}-all-desc`}
          onChange={(e) => props.onEvents(e.currentTarget.checked ? [ALL_EVENTS] : [])}
        />
        <label for={`${props.idPrefix}-all`}>All call events</label>
        <span class="trigger-title" id={`${props.idPrefix}-all-desc`}>
          <code>*</code>: every call event type, now and future ones (not callhook's own events: WEBHOOK_DELIVERY_FAILED, WEBHOOK_ENDPOINT_DISABLED)
        </span>
      </div>
      {subscribableTypes(props.catalog, props.events).map((type) => {
        const id = `${props.idPrefix}-type-${type.name}`;
        const covered = all && !type.system;
        return (
          <div class={type.system ? 'trigger system' : 'trigger'} key={type.name}>
            <input
              type="checkbox"
              id={id}
              checked={covered || props.events.includes(type.name)}
              disabled={all}
              aria-describedby={`${id}-desc`}
              onChange={(e) => toggle(type.name, e.currentTarget.checked)}
            />
            <label for={id} title={type.title}>
              {type.name}
            </label>
            <span class="trigger-title" id={`${id}-desc`}>
              {type.title}
              {type.system && ' (sent by callhook itself)'}
              {type.status !== 'active' && <span class={`badge ${type.status}`}>{type.status}</span>}
            </span>
          </div>
        );
      })}
      {props.error && (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}

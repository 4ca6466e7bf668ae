/**
 * Delivery options of every kind of endpoint: a content filter (a MongoDB-style JSON object; only
 * events that match are delivered) and the retry schedule (the default one, no retries, or the
 * delays of its own, typed in seconds). The page checks that the filter is JSON and the delays
 * are numbers; the API checks the rest. Editing, the filter typed in can be tried on a type's example.
 */
import type { EndpointView, EventTypeInfo } from '../api-types';
import type { FieldErrors } from '../field-errors';
import { SelectField, TextAreaField, TextField } from './fields';
import { FilterTry } from './filter-try';

type RetryMode = 'default' | 'none' | 'custom';
type RetrySchedule = NonNullable<EndpointView['retry']>;

export interface DeliveryState {
  filter: string;
  retryMode: RetryMode;
  /** Custom: seconds, separated by commas. */
  delays: string;
}

const RETRY_OPTIONS: { value: RetryMode; label: string }[] = [
  { value: 'default', label: 'Default schedule' },
  { value: 'none', label: 'No retries (one attempt)' },
  { value: 'custom', label: 'Custom delays' },
];

const FILTER_EXAMPLE = '{"body.data.callStatus": {"$in": ["FAILED", "NO_ANSWER"]}}';

const seconds = (ms: number) => String(ms / 1000);

export function deliveryStateOf(endpoint: Pick<EndpointView, 'filter' | 'retry'> | undefined): DeliveryState {
  const retry = endpoint?.retry ?? null;
  return {
    filter: endpoint?.filter != null ? JSON.stringify(endpoint.filter, null, 2) : '',
    retryMode: retry === null ? 'default' : retry.delaysMs.length === 0 ? 'none' : 'custom',
    delays: retry ? retry.delaysMs.map(seconds).join(', ') : '',
  };
}

/** The filter typed in: null when empty (every event), the object, or an error. */
export function parseFilter(text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: `A filter is a JSON object, e.g. ${FILTER_EXAMPLE}` };
  return { value };
}

/** The schedule chosen: null for the default, [] for no retries, or the delays in ms; or an error. */
function parseRetry(state: DeliveryState): { value: RetrySchedule | null } | { error: string } {
  if (state.retryMode === 'default') return { value: null };
  if (state.retryMode === 'none') return { value: { delaysMs: [] } };
  const parts = state.delays.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return { error: 'Enter the wait before each retry in seconds, e.g. 10, 60, 300 (or choose No retries)' };
  const bad = parts.find((part) => !/^\d+(?:\.\d+)?$/.test(part));
  if (bad !== undefined) return { error: `"${bad}" is not a number of seconds` };
  return { value: { delaysMs: parts.map((part) => Math.round(Number(part) * 1000)) } };
}

/** The filter and retry schedule to send, or the errors to show on their fields. */
export function deliveryOptionsOf(state: DeliveryState): { filter: unknown; retry: RetrySchedule | null; errors?: undefined } | { errors: FieldErrors } {
  const filter = parseFilter(state.filter);
  const retry = parseRetry(state);
  if ('error' in filter || 'error' in retry) {
    return { errors: { ...('error' in filter && { filter: filter.error }), ...('error' in retry && { retry: retry.error }) } };
  }
  return { filter: filter.value, retry: retry.value };
}

export function DeliveryOptionsFieldset(props: {
  idPrefix: string;
  state: DeliveryState;
  onState: (state: DeliveryState) => void;
  errors: FieldErrors;
  /** Editing: the endpoint whose filter can be tried. */
  endpointId: string | undefined;
  catalog: readonly EventTypeInfo[];
}) {
  const { state, errors } = props;
  const set = (change: Partial<DeliveryState>) => props.onState({ ...state, ...change });
  return (
    <fieldset class="options">
      <legend>Delivery options</legend>
      <TextAreaField
        id={`${props.idPrefix}-filter`}
        label="Filter (JSON)"
        rows={3}
        value={state.filter}
        onValue={(filter) => set({ filter })}
        placeholder={FILTER_EXAMPLE}
        hint={
          <>
            Only events that match are delivered here (the test event always is). Paths start at <code>eventType</code>, <code>callId</code>, <code>body</code>…; operators{' '}
            <code>$eq $neq $in $nin $gt $gte $lt $lte $exists $startsWith $and $or $not</code>. Empty: every event subscribed to.
          </>
        }
        error={errors.filter}
      />
      {props.endpointId && <FilterTry idPrefix={props.idPrefix} endpointId={props.endpointId} catalog={props.catalog} filter={parseFilter(state.filter)} />}
      <div class="form-grid fill">
        <SelectField
          id={`${props.idPrefix}-retry`}
          label="Retries"
          value={state.retryMode}
          onValue={(retryMode) => set({ retryMode })}
          options={RETRY_OPTIONS}
          error={state.retryMode === 'custom' ? undefined : errors.retry}
        />
        {state.retryMode === 'custom' && (
          <TextField
            id={`${props.idPrefix}-delays`}
            label="Retry delays (seconds)"
            inputMode="text"
            value={state.delays}
            onValue={(delays) => set({ delays })}
            placeholder="10, 60, 300"
            hint="The wait before each retry, separated by commas: 1 s to 1 day each, at most 9 retries, 3 days in all."
            error={errors.retry}
          />
        )}
      </div>
    </fieldset>
  );
}

/**
 * Try filter: the filter typed in (not yet saved) against a catalog type's example, through
 * POST /v1/endpoints/:id/test-filter; says whether it matches and why. Nothing is sent.
 */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { EventTypeInfo } from '../api-types';

/** The answer of test-filter. */
interface FilterMatch {
  matched: boolean;
  reasons: string[];
}

export function FilterTry(props: { idPrefix: string; endpointId: string; catalog: readonly EventTypeInfo[]; filter: { value: unknown } | { error: string } }) {
  const types = props.catalog.filter((type) => !type.system && type.status !== 'archived');
  const [eventType, setEventType] = useState('');
  const [outcome, setOutcome] = useState<{ text: string; ok: boolean } | null>(null);
  const chosen = eventType || types[0]?.name || '';
  async function tryIt() {
    if ('error' in props.filter) return setOutcome({ text: `Filter: ${props.filter.error}`, ok: false });
    if (props.filter.value === null) return setOutcome({ text: 'No filter: every event subscribed to is delivered', ok: true });
    setOutcome(null);
    try {
      const body = { filter: props.filter.value, eventType: chosen };
      const match = await api<FilterMatch>('POST', `/v1/endpoints/${props.endpointId}/test-filter`, { body });
      setOutcome({ text: `${match.matched ? 'Matches' : 'Does not match'}${match.reasons.length > 0 ? `: ${match.reasons.join('; ')}` : ''}`, ok: match.matched });
    } catch (err) {
      setOutcome({ text: messageOf(err), ok: false });
    }
  }
  if (types.length === 0) return null;
  const selectId = `${props.idPrefix}-sample`;
  return (
    <div class="filter-try">
      <label for={selectId}>Try the filter on the example of</label>
      <select id={selectId} value={chosen} onChange={(e) => setEventType(e.currentTarget.value)}>
        {types.map((type) => (
          <option value={type.name} key={type.name}>
            {type.name}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void tryIt()}>
        Try filter
      </button>
      <span role="status" class={outcome?.ok === false ? 'bad-text' : undefined}>
        {outcome?.text}
      </span>
    </div>
  );
}

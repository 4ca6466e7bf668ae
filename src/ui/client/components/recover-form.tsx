/** Recover: send again every delivery to this endpoint that finally failed in a time range (a recovery workflow does it). */
import { useId, useState } from 'preact/hooks';
import { api } from '../api';
import type { RecoverAccepted } from '../api-types';
import { formErrorsOf, NO_ERRORS, type FormErrors } from '../field-errors';
import { count, fromLocalInput, toLocalInput } from '../format';
import { FormError, TextField } from './fields';

export function RecoverForm(props: { endpointId: string; onRecovered?: () => void }) {
  const id = useId();
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 24 * 3_600_000)));
  const [until, setUntil] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [result, setResult] = useState<RecoverAccepted | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setErrors(NO_ERRORS);
    setResult(null);
    const sinceIso = fromLocalInput(since);
    if (!sinceIso) {
      setErrors({ fields: { since: 'Enter the start of the range' }, general: null });
      return;
    }
    const untilIso = fromLocalInput(until);
    setBusy(true);
    try {
      setResult(await api<RecoverAccepted>('POST', `/v1/endpoints/${props.endpointId}/recover`, { body: { since: sinceIso, ...(untilIso && { until: untilIso }) } }));
      props.onRecovered?.();
    } catch (err) {
      setErrors(formErrorsOf(err, ['since', 'until']));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="recover" aria-label="Recover failed deliveries" noValidate onSubmit={(e) => void submit(e)}>
      <h4>Recover failed deliveries</h4>
      <FormError message={errors.general} />
      <div class="filters">
        <TextField id={`${id}-since`} label="Failed since" type="datetime-local" value={since} onValue={setSince} error={errors.fields.since} />
        <TextField id={`${id}-until`} label="Until" type="datetime-local" value={until} onValue={setUntil} error={errors.fields.until} hint="empty: until now" />
        <button type="submit" disabled={busy}>
          Recover
        </button>
      </div>
      <p role="status" class="hint">
        {result &&
          (result.workflowId === null
            ? 'Nothing to recover: no delivery failed in that range.'
            : `Sending ${count(result.deliveries, 'failed delivery', 'failed deliveries')} of ${count(result.calls, 'call', 'calls')} again (workflow ${result.workflowId}).`)}
      </p>
    </form>
  );
}

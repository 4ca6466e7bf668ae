/**
 * Event Catalog: every event type a receiver can be written from, by group: its name, title,
 * description, status and validation mode, and (collapsed) the JSON Schema of its body and an
 * example body. Read from GET /v1/event-types (the same list the triggers come from).
 */
import { useState } from 'preact/hooks';
import { ApiFailure, api, messageOf } from '../api';
import type { EventTypeInfo } from '../api-types';
import { FormError, SelectField, TextField } from './fields';

const GROUPS: { group: EventTypeInfo['group']; title: string }[] = [
  { group: 'outbound_call', title: 'Outbound calls' },
  { group: 'inbound_call', title: 'Inbound calls' },
  { group: 'custom', title: "The platform's own types" },
  { group: 'callhook', title: "callhook's own events" },
];

const VALIDATION_LABELS: Record<EventTypeInfo['validation'], string> = {
  off: 'not validated',
  warn: 'validated: mismatches are accepted and reported',
  enforce: 'validated: mismatches are refused',
};

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

const STARTER_SCHEMA = json({
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'object', required: ['callId', 'clientId'], properties: { callId: { type: 'string' }, clientId: { type: 'string' } } } },
});
const STARTER_EXAMPLE = json({ data: { callId: 'call_1', clientId: 'client_1' } });

/** Admins: register a type of the platform's own, with the JSON Schema of its body and an example. */
function RegisterEventType(props: { onRegistered: (name: string) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [validation, setValidation] = useState<EventTypeInfo['validation']>('warn');
  const [schema, setSchema] = useState(STARTER_SCHEMA);
  const [example, setExample] = useState(STARTER_EXAMPLE);
  const [problems, setProblems] = useState<{ general: string | null; list: string[] }>({ general: null, list: [] });
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const parsed: Record<string, unknown> = {};
    for (const [field, text] of [
      ['schema', schema],
      ['example', example],
    ] as const) {
      try {
        parsed[field] = JSON.parse(text);
      } catch (err) {
        setProblems({ general: `The ${field} is not JSON: ${(err as Error).message}`, list: [] });
        return;
      }
    }
    setBusy(true);
    try {
      await api('POST', '/v1/event-types', { body: { name: name.trim(), description, validation, ...parsed } });
      setProblems({ general: null, list: [] });
      props.onRegistered(name.trim());
      setName('');
      setDescription('');
    } catch (err) {
      const details = err instanceof ApiFailure ? err.details : [];
      setProblems({ general: messageOf(err), list: details.map((d) => `${d.path}: ${d.message}`) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <details class="register-type">
      <summary>Register an event type</summary>
      <form onSubmit={(e) => void submit(e)} aria-label="Register an event type">
        <TextField id="type-name" label="Name" value={name} onValue={setName} placeholder="APPOINTMENT_BOOKED" hint="A-Z, 0-9 and _, as the built-in types" />
        <TextField id="type-description" label="Description" value={description} onValue={setDescription} />
        <SelectField
          id="type-validation"
          label="Validation"
          value={validation}
          onValue={setValidation}
          options={(['warn', 'enforce', 'off'] as const).map((value) => ({ value, label: `${value}: ${VALIDATION_LABELS[value]}` }))}
        />
        <div class="field">
          <label for="type-schema">Schema of the body (JSON Schema, draft 2020-12)</label>
          <textarea id="type-schema" rows={10} spellcheck={false} value={schema} onInput={(e) => setSchema(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="type-example">Example body</label>
          <textarea id="type-example" rows={5} spellcheck={false} value={example} onInput={(e) => setExample(e.currentTarget.value)} />
        </div>
        <FormError message={problems.general} />
        {problems.list.length > 0 && (
          <ul class="field-error" aria-label="What is wrong">
            {problems.list.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
        <button type="submit" disabled={busy}>
          Register
        </button>
      </form>
    </details>
  );
}

export function EventCatalog(props: { catalog: readonly EventTypeInfo[]; isAdmin: boolean; onChanged: () => void }) {
  if (props.catalog.length === 0) return <p>Reading the event catalog…</p>;
  return (
    <div class="event-catalog">
      {props.isAdmin && <RegisterEventType onRegistered={props.onChanged} />}
      <p class="hint">
        Every event carries <code>{'{ eventType, body: { data, errors } }'}</code>. The schema of each type describes its <code>body</code>; write a
        receiver from it, and try it with <strong>Send test event</strong> on an endpoint, which can send any type's example.
      </p>
      {GROUPS.map(({ group, title }) => {
        const types = props.catalog.filter((type) => type.group === group);
        if (types.length === 0) return null;
        return (
          <section key={group} aria-labelledby={`catalog-${group}`}>
            <h2 id={`catalog-${group}`}>{title}</h2>
            <ul class="catalog-list">
              {types.map((type) => (
                <li key={type.name} class="catalog-type" id={`type-${type.name}`}>
                  <div class="catalog-head">
                    <code class="type-name">{type.name}</code> <span>{type.title}</span>{' '}
                    {type.status !== 'active' && <span class={`badge ${type.status}`}>{type.status}</span>}
                    {type.terminal && <span class="badge">last event of a call</span>}
                  </div>
                  <p>{type.description}</p>
                  {!type.builtin && <p class="hint">{VALIDATION_LABELS[type.validation]}</p>}
                  <details>
                    <summary>Schema of the body</summary>
                    <pre class="json" aria-label={`JSON Schema of ${type.name}`}>
                      {json(type.schema)}
                    </pre>
                  </details>
                  <details>
                    <summary>Example body</summary>
                    <pre class="json" aria-label={`Example of ${type.name}`}>
                      {json(type.example)}
                    </pre>
                  </details>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

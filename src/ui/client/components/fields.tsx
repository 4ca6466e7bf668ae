/** Labelled form fields whose error (from the API, or the page's own check) sits right below them. */
import type { ComponentChildren, TargetedEvent } from 'preact';

interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ComponentChildren;
}

function FieldFrame(props: FieldProps & { children: ComponentChildren }) {
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

function describedBy(props: FieldProps): string | undefined {
  const ids = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : ''].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export function TextField(
  props: FieldProps & {
    value: string;
    onValue: (value: string) => void;
    type?: 'text' | 'password' | 'email' | 'datetime-local';
    placeholder?: string;
    readOnly?: boolean;
    autoComplete?: string;
    inputMode?: 'text' | 'email' | 'url' | 'numeric';
  },
) {
  const common = {
    id: props.id,
    value: props.value,
    placeholder: props.placeholder,
    readOnly: props.readOnly,
    autoComplete: props.autoComplete ?? 'off',
    inputMode: props.inputMode,
    spellcheck: false,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy(props),
    onInput: (e: TargetedEvent<HTMLInputElement>) => props.onValue(e.currentTarget.value),
  };
  // One element per type: Preact's types tell input types apart (which roles and attributes each may have).
  const input = (() => {
    switch (props.type) {
      case 'password':
        return <input type="password" {...common} />;
      case 'email':
        return <input type="email" {...common} />;
      case 'datetime-local':
        return <input type="datetime-local" {...common} />;
      default:
        return <input type="text" {...common} />;
    }
  })();
  return <FieldFrame {...props}>{input}</FieldFrame>;
}

/** A multi-line field (JSON, PEM): monospace, no spellcheck. */
export function TextAreaField(
  props: FieldProps & { value: string; onValue: (value: string) => void; rows?: number; placeholder?: string; disabled?: boolean },
) {
  return (
    <FieldFrame {...props}>
      <textarea
        id={props.id}
        class="code-input"
        rows={props.rows ?? 4}
        value={props.value}
        placeholder={props.placeholder}
        disabled={props.disabled}
        spellcheck={false}
        autoComplete="off"
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onInput={(e) => props.onValue(e.currentTarget.value)}
      />
    </FieldFrame>
  );
}

export function SelectField<V extends string>(
  props: FieldProps & { value: V; onValue: (value: V) => void; options: readonly { value: V; label: string; disabled?: boolean }[]; disabled?: boolean },
) {
  return (
    <FieldFrame {...props}>
      <select
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onChange={(e) => props.onValue(e.currentTarget.value as V)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/** A message for the whole form (what names no field), read out when it appears. */
export function FormError(props: { message: string | null }) {
  return props.message ? (
    <p class="form-error" role="alert">
      {props.message}
    </p>
  ) : null;
}

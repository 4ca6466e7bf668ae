/**
 * Custom headers of a custom endpoint: rows of name, value and Secret (a secret value is stored
 * encrypted and shown as a hint only). A stored secret header keeps its value when its Value is
 * left empty. The API takes the whole list (PATCH replaces it).
 */
import type { CreateEndpointBody, EndpointView } from '../api-types';

type HeaderInput = NonNullable<CreateEndpointBody['headers']>[number];
type HeaderView = EndpointView['headers'][number];

export const MAX_HEADERS = 20;

export interface HeaderRow {
  /** Keeps each row's inputs in place when a row above is removed. */
  key: number;
  name: string;
  value: string;
  secret: boolean;
  /** A stored secret header, by its name and the hint of its value. */
  stored?: { name: string; valueHint: string };
}

let nextKey = 0;

export const emptyHeaderRow = (): HeaderRow => ({ key: nextKey++, name: '', value: '', secret: false });

export function headerRowsOf(views: readonly HeaderView[]): HeaderRow[] {
  return views.map((view) =>
    view.secret
      ? { key: nextKey++, name: view.name, value: '', secret: true, stored: { name: view.name, valueHint: view.valueHint } }
      : { key: nextKey++, name: view.name, value: view.value, secret: false },
  );
}

/** Rows with a name or a value: what is sent (blank rows are dropped before sending, so the numbers of the API's errors match the rows). */
export const filledRows = (rows: readonly HeaderRow[]) => rows.filter((row) => row.name.trim() !== '' || row.value.trim() !== '');

/** The stored secret value this row keeps when its Value is left empty (same name, still secret). */
function keptHint(row: HeaderRow): string | undefined {
  return row.secret && row.stored && row.stored.name.toLowerCase() === row.name.trim().toLowerCase() ? row.stored.valueHint : undefined;
}

/** The headers to send; a secret one without value keeps the stored value of that name. */
export function headersInput(rows: readonly HeaderRow[]): HeaderInput[] {
  return filledRows(rows).map((row) => ({
    name: row.name.trim(),
    ...(row.value.trim() !== '' && { value: row.value.trim() }),
    ...(row.secret && { secret: true }),
  }));
}

/** Whether the rows say anything else than the stored headers. */
export function headersChanged(rows: readonly HeaderRow[], views: readonly HeaderView[]): boolean {
  const filled = filledRows(rows);
  if (filled.length !== views.length) return true;
  return filled.some((row, index) => {
    const view = views[index]!;
    if (row.name.trim() !== view.name || row.secret !== view.secret) return true;
    return view.secret ? row.value.trim() !== '' : row.value.trim() !== view.value;
  });
}

export function HeadersFieldset(props: { idPrefix: string; rows: readonly HeaderRow[]; onRows: (rows: HeaderRow[]) => void; error?: string | undefined }) {
  const errorId = `${props.idPrefix}-error`;
  const update = (key: number, change: Partial<HeaderRow>) => props.onRows(props.rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  return (
    <fieldset class={props.error ? 'options invalid' : 'options'} aria-describedby={props.error ? errorId : undefined}>
      <legend>Custom headers</legend>
      <p class="hint">Sent with every request (e.g. a key the receiver asks for). A secret value is stored encrypted and shown only as a hint afterwards.</p>
      {props.rows.map((row, index) => {
        const id = `${props.idPrefix}-${row.key}`;
        const n = index + 1;
        const hint = keptHint(row);
        return (
          <div class="header-row" key={row.key}>
            <label for={`${id}-name`}>
              <span class="visually-hidden">Header {n} name</span>
              <span aria-hidden="true">Name</span>
            </label>
            <input id={`${id}-name`} type="text" autoComplete="off" spellcheck={false} placeholder="X-Api-Key" value={row.name} onInput={(e) => update(row.key, { name: e.currentTarget.value })} />
            <label for={`${id}-value`}>
              <span class="visually-hidden">Header {n} value</span>
              <span aria-hidden="true">Value</span>
            </label>
            {row.secret ? (
              <input
                id={`${id}-value`}
                type="password"
                autoComplete="new-password"
                placeholder={hint ? `leave empty to keep (${hint})` : undefined}
                aria-describedby={hint ? `${id}-hint` : undefined}
                value={row.value}
                onInput={(e) => update(row.key, { value: e.currentTarget.value })}
              />
            ) : (
              <input id={`${id}-value`} type="text" autoComplete="off" spellcheck={false} value={row.value} onInput={(e) => update(row.key, { value: e.currentTarget.value })} />
            )}
            <span class="header-secret">
              <input id={`${id}-secret`} type="checkbox" checked={row.secret} onChange={(e) => update(row.key, { secret: e.currentTarget.checked })} />
              <label for={`${id}-secret`}>
                <span class="visually-hidden">Header {n} secret</span>
                <span aria-hidden="true">Secret</span>
              </label>
            </span>
            <button type="button" aria-label={`Remove header ${n}`} onClick={() => props.onRows(props.rows.filter((other) => other.key !== row.key))}>
              Remove
            </button>
            {hint && (
              <p class="hint header-hint" id={`${id}-hint`}>
                Leave the value empty to keep the current one ({hint}).
              </p>
            )}
          </div>
        );
      })}
      <button type="button" disabled={props.rows.length >= MAX_HEADERS} onClick={() => props.onRows([...props.rows, emptyHeaderRow()])}>
        Add header
      </button>
      {props.error && (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}

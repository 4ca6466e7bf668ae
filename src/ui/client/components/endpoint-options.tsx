/**
 * The endpoint form's options beyond where and how it is sent: custom headers, a client
 * certificate and the traceparent header (custom endpoints), a content filter and a retry schedule (every kind). Holds their
 * state as one value, checks it before sending, and gives the fields of a POST or the changed
 * fields of a PATCH.
 */
import type { CreateEndpointBody, EndpointKind, EndpointView, EventTypeInfo, UpdateEndpointBody } from '../api-types';
import type { FieldErrors } from '../field-errors';
import { ClientCertificateFields, NO_TLS, tlsOf, type TlsState } from './client-certificate-fields';
import { deliveryOptionsOf, deliveryStateOf, DeliveryOptionsFieldset, type DeliveryState } from './delivery-options-fieldset';
import { filledRows, headerRowsOf, headersChanged, headersInput, HeadersFieldset, type HeaderRow } from './headers-fieldset';

export interface OptionsState {
  headers: HeaderRow[];
  tls: TlsState;
  delivery: DeliveryState;
  sendTraceparent: boolean;
}

export function optionsStateOf(endpoint: EndpointView | undefined): OptionsState {
  return { headers: headerRowsOf(endpoint?.headers ?? []), tls: NO_TLS, delivery: deliveryStateOf(endpoint), sendTraceparent: endpoint?.sendTraceparent ?? false };
}

interface Options {
  filter: unknown;
  retry: NonNullable<CreateEndpointBody['retry']> | null;
  /** null: remove it; undefined: none given. */
  tls: NonNullable<CreateEndpointBody['tls']> | null | undefined;
  headers: NonNullable<CreateEndpointBody['headers']>;
  sendTraceparent: boolean;
}

type Checked = { errors: FieldErrors } | { errors?: undefined; options: Options };

/** What the options say, checked (JSON, numbers, a certificate with its key); headers and TLS only for custom endpoints. */
function check(kind: EndpointKind, state: OptionsState): Checked {
  const delivery = deliveryOptionsOf(state.delivery);
  const tls = kind === 'custom' ? tlsOf(state.tls) : { value: undefined };
  if (delivery.errors || tls.errors) return { errors: { ...delivery.errors, ...tls.errors } };
  const custom = kind === 'custom';
  return { options: { filter: delivery.filter, retry: delivery.retry, tls: tls.value, headers: custom ? headersInput(state.headers) : [], sendTraceparent: custom && state.sendTraceparent } };
}

/** The options of a new endpoint: only what is set. */
export function createOptions(kind: EndpointKind, state: OptionsState): { errors: FieldErrors } | { errors?: undefined; body: Partial<CreateEndpointBody> } {
  const checked = check(kind, state);
  if (checked.errors) return checked;
  const { filter, retry, tls, headers, sendTraceparent } = checked.options;
  return {
    body: {
      ...(headers.length > 0 && { headers }),
      ...(sendTraceparent && { sendTraceparent }),
      ...(filter !== null && { filter }),
      ...(retry !== null && { retry }),
      ...(tls && { tls }),
    },
  };
}

/** The options that changed, for a PATCH (headers: the whole list; tls null: removed). */
export function patchOptions(endpoint: EndpointView, state: OptionsState): { errors: FieldErrors } | { errors?: undefined; patch: UpdateEndpointBody } {
  const checked = check(endpoint.kind, state);
  if (checked.errors) return checked;
  const { filter, retry, tls, headers, sendTraceparent } = checked.options;
  const patch: UpdateEndpointBody = {};
  if (endpoint.kind === 'custom' && sendTraceparent !== endpoint.sendTraceparent) patch.sendTraceparent = sendTraceparent;
  if (endpoint.kind === 'custom' && headersChanged(state.headers, endpoint.headers)) patch.headers = headers;
  if (JSON.stringify(filter) !== JSON.stringify(endpoint.filter)) patch.filter = filter;
  if (JSON.stringify(retry) !== JSON.stringify(endpoint.retry)) patch.retry = retry;
  if (tls !== undefined && !(tls === null && endpoint.tls === null)) patch.tls = tls;
  return { patch };
}

/** The state as sent: blank header rows dropped, so the API's "header N" is the Nth row shown. */
export const compacted = (state: OptionsState): OptionsState => ({ ...state, headers: filledRows(state.headers) });

export function EndpointOptionsFields(props: {
  idPrefix: string;
  kind: EndpointKind;
  state: OptionsState;
  onState: (state: OptionsState) => void;
  current: EndpointView | undefined;
  catalog: readonly EventTypeInfo[];
  errors: FieldErrors;
}) {
  const { state, errors } = props;
  return (
    <>
      {props.kind === 'custom' && (
        <>
          <HeadersFieldset idPrefix={`${props.idPrefix}-headers`} rows={state.headers} onRows={(headers) => props.onState({ ...state, headers })} error={errors.headers} />
          <ClientCertificateFields idPrefix={`${props.idPrefix}-tls`} state={state.tls} onState={(tls) => props.onState({ ...state, tls })} current={props.current?.tls ?? null} errors={errors} />
          <p class="check">
            <input
              id={`${props.idPrefix}-traceparent`}
              type="checkbox"
              checked={state.sendTraceparent}
              onChange={(e) => props.onState({ ...state, sendTraceparent: e.currentTarget.checked })}
            />
            <label for={`${props.idPrefix}-traceparent`}>Send a W3C traceparent header (when callhook's tracing is on)</label>
          </p>
        </>
      )}
      <DeliveryOptionsFieldset
        idPrefix={`${props.idPrefix}-delivery`}
        state={state.delivery}
        onState={(delivery) => props.onState({ ...state, delivery })}
        errors={errors}
        endpointId={props.current?.id}
        catalog={props.catalog}
      />
    </>
  );
}

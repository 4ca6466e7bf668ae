/**
 * `callhook/http`: a typed client of callhook's HTTP API. The types (`./schema`) are generated from the OpenAPI
 * document the API serves (GET /openapi.json) by `npm run generate:http-client`; the client is openapi-fetch's, so
 * paths, parameters, bodies and answers (by status) are checked by the compiler.
 *
 * @example
 * import { createCallhookClient } from 'callhook/http';
 * const callhook = createCallhookClient({ baseUrl: 'https://callhook.example.com', apiKey: process.env.CALLHOOK_API_KEY });
 * const { data, error } = await callhook.GET('/v1/calls/{callId}/deliveries', { params: { path: { callId: 'abc-123' } } });
 *
 * Each call resolves to `{ data, response }` on a 2xx, or `{ error, response }` otherwise (`error` is the API's
 * `{ error: { code, message, details } }`); it rejects only when the request could not be made (network).
 */
import createClient, { mergeHeaders, type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths } from './schema';

/** The API's named schemas: `CallhookSchemas['Endpoint']`, `CallhookSchemas['DeliveryLogEntry']`, … */
export type CallhookSchemas = components['schemas'];

/** The typed client: `GET`, `POST`, `PATCH`, `DELETE`, … on the API's paths, plus openapi-fetch's `use` (middleware). */
export type CallhookClient = Client<paths>;

export interface CallhookClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The API's address, e.g. `https://callhook.example.com` (the paths carry `/v1`). */
  baseUrl: string;
  /**
   * An API key, sent as `Authorization: Bearer <key>` on every request: an admin key, or a client key (its own
   * client's endpoints and calls only). Leave it out only for an API that requires no key (development).
   */
  apiKey?: string | undefined;
}

/** A client of the API at `baseUrl`, authenticated with `apiKey`; other options are openapi-fetch's (`fetch`, `headers`, …). */
export function createCallhookClient(options: CallhookClientOptions): CallhookClient {
  const { apiKey, headers, baseUrl, ...rest } = options;
  if (typeof baseUrl !== 'string' || baseUrl === '') throw new TypeError('createCallhookClient: baseUrl must be the API address, such as https://callhook.example.com');
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey === '')) throw new TypeError('createCallhookClient: apiKey must be a non-empty string');
  return createClient<paths>({
    ...rest,
    baseUrl,
    headers: mergeHeaders(headers, apiKey === undefined ? undefined : { authorization: `Bearer ${apiKey}` }),
  });
}

/**
 * Puts the API's 400 details next to the fields they name: `body.url` → the URL field,
 * `body.auth.token` → Token, `body.events.0` → the triggers, `body.headers.1.name` → the headers
 * (as "header 2 name: …"). What names no field of the form is shown at the top of the form.
 */
import { ApiFailure, messageOf } from './api';

export type FieldName =
  | 'clientId'
  | 'kind'
  | 'url'
  | 'email'
  | 'auth'
  | 'token'
  | 'username'
  | 'password'
  | 'tokenUrl'
  | 'oauthClientId'
  | 'clientSecret'
  | 'scope'
  | 'audience'
  | 'method'
  | 'headers'
  | 'tls'
  | 'tlsCertificate'
  | 'tlsPrivateKey'
  | 'tlsCa'
  | 'filter'
  | 'retry'
  | 'events'
  | 'description'
  | 'rateLimit'
  | 'since'
  | 'until'
  | 'key';
export type FieldErrors = Partial<Record<FieldName, string>>;

/** The fields of `auth` the endpoint form has, by their name in the API (the OAuth client id is not the endpoint's client). */
const AUTH_FIELDS: Record<string, FieldName> = {
  token: 'token',
  username: 'username',
  password: 'password',
  tokenUrl: 'tokenUrl',
  clientId: 'oauthClientId',
  clientSecret: 'clientSecret',
  scope: 'scope',
  audience: 'audience',
  method: 'method',
};

const TLS_FIELDS: Record<string, FieldName> = { certificate: 'tlsCertificate', privateKey: 'tlsPrivateKey', ca: 'tlsCa' };

/** A path without its `body.` (or `query.`, `path.`) and split on dots. */
function partsOf(path: string): string[] {
  const parts = path.split('.');
  if (parts[0] === 'body' || parts[0] === 'query' || parts[0] === 'path') parts.shift();
  return parts;
}

/** The form field an API path (`body.auth.token`, `query.since`) is about, or undefined. */
export function fieldOfPath(path: string): FieldName | undefined {
  const [first, second] = partsOf(path);
  if (first === 'auth') return (second !== undefined && Object.hasOwn(AUTH_FIELDS, second) && AUTH_FIELDS[second]) || 'auth';
  if (first === 'tls') return (second !== undefined && Object.hasOwn(TLS_FIELDS, second) && TLS_FIELDS[second]) || 'tls';
  switch (first) {
    case 'clientId':
    case 'kind':
    case 'url':
    case 'email':
    case 'events':
    case 'description':
    case 'rateLimit':
    case 'headers':
    case 'filter':
    case 'retry':
    case 'since':
    case 'until':
      return first;
    default:
      return undefined;
  }
}

const isIndex = (part: string | undefined) => part !== undefined && /^\d+$/.test(part);

/**
 * What a field's message starts with when the path points inside it: the header or delay by its
 * number (`header 2 name: `, `delay 3: `), or the entry of a filter (`body.data.callStatus.$in: `).
 */
function prefixOf(field: FieldName, path: string): string {
  const [, ...rest] = partsOf(path);
  if (field === 'headers' && isIndex(rest[0])) return `header ${Number(rest[0]) + 1}${rest[1] ? ` ${rest[1]}` : ''}: `;
  if (field === 'retry' && rest[0] === 'delaysMs' && isIndex(rest[1])) return `delay ${Number(rest[1]) + 1}: `;
  if (field === 'filter' && rest.length > 0) return `${rest.join('.')}: `;
  return '';
}

export interface FormErrors {
  fields: FieldErrors;
  /** What names no field on this form (or the whole error when it names none). */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/** Splits an error between the fields the form has and a general message. */
export function formErrorsOf(err: unknown, formFields: readonly FieldName[]): FormErrors {
  if (!(err instanceof ApiFailure) || err.details.length === 0) return { fields: {}, general: messageOf(err) };
  const fields: FieldErrors = {};
  const unplaced: string[] = [];
  for (const issue of err.details) {
    const field = fieldOfPath(issue.path);
    if (field && formFields.includes(field)) {
      const message = `${prefixOf(field, issue.path)}${issue.message}`;
      fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
    } else unplaced.push(`${issue.path}: ${issue.message}`);
  }
  return { fields, general: unplaced.length > 0 ? unplaced.join('; ') : null };
}

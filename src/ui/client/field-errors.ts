/**
 * Puts the API's 400 details next to the fields they name: `body.url` → the URL field,
 * `body.auth.token` → Token, `body.events.0` → the triggers. What names no field of the form is
 * shown at the top of the form.
 */
import { ApiFailure, messageOf } from './api';

export type FieldName = 'clientId' | 'kind' | 'url' | 'email' | 'auth' | 'token' | 'username' | 'password' | 'events' | 'description' | 'rateLimit' | 'since' | 'until' | 'key';
export type FieldErrors = Partial<Record<FieldName, string>>;

/** The form field an API path (`body.auth.token`, `query.since`) is about, or undefined. */
export function fieldOfPath(path: string): FieldName | undefined {
  const parts = path.split('.');
  if (parts[0] === 'body' || parts[0] === 'query' || parts[0] === 'path') parts.shift();
  const [first, second] = parts;
  if (first === 'auth') return second === 'token' || second === 'username' || second === 'password' ? second : 'auth';
  switch (first) {
    case 'clientId':
    case 'kind':
    case 'url':
    case 'email':
    case 'events':
    case 'description':
    case 'rateLimit':
    case 'since':
    case 'until':
      return first;
    default:
      return undefined;
  }
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
    if (field && formFields.includes(field)) fields[field] = fields[field] ? `${fields[field]}; ${issue.message}` : issue.message;
    else unplaced.push(`${issue.path}: ${issue.message}`);
  }
  return { fields, general: unplaced.length > 0 ? unplaced.join('; ') : null };
}

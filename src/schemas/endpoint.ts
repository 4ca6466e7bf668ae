import { z } from 'zod';
import { ALL_EVENTS, EVENT_TYPE_NAMES } from '../event-types';

export const endpointKindSchema = z.enum(['custom', 'slack', 'teams', 'email']);
export type EndpointKind = z.infer<typeof endpointKindSchema>;

export const endpointAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), token: z.string().min(8).max(4096) }).strict(),
]);
export type EndpointAuth = z.infer<typeof endpointAuthSchema>;

export const subscriptionSchema = z
  .array(z.union([z.enum(EVENT_TYPE_NAMES), z.literal(ALL_EVENTS)]))
  .min(1)
  .max(EVENT_TYPE_NAMES.length + 1)
  .refine((events) => new Set(events).size === events.length, 'events must not repeat')
  .refine((events) => !events.includes(ALL_EVENTS) || events.length === 1, `"${ALL_EVENTS}" stands alone`);

const endpointFields = {
  clientId: z.string().min(1).max(200),
  kind: endpointKindSchema,
  url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  email: z.email().max(320).optional(),
  events: subscriptionSchema,
  auth: endpointAuthSchema.optional(),
  description: z.string().max(1000).optional(),
  active: z.boolean().optional(),
};

export const createEndpointSchema = z.object(endpointFields).strict();
export type CreateEndpoint = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z
  .object({
    url: endpointFields.url,
    email: endpointFields.email,
    events: endpointFields.events,
    auth: endpointFields.auth,
    description: endpointFields.description.nullable(),
    active: endpointFields.active,
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change');
export type UpdateEndpoint = z.infer<typeof updateEndpointSchema>;

/** An endpoint as stored. */
export interface Endpoint {
  id: string;
  clientId: string;
  kind: EndpointKind;
  url: string | null;
  email: string | null;
  events: string[];
  auth: EndpointAuth;
  description: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DestinationRules {
  allowHttpUrls: boolean;
}

/**
 * Rules across fields that depend on the kind: where it is sent (url or email) and which
 * authentication fits. Returns a list of problems; empty when the endpoint is valid.
 */
export function endpointProblems(
  endpoint: Pick<Endpoint, 'kind' | 'url' | 'email' | 'auth'>,
  rules: DestinationRules,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (endpoint.kind === 'email') {
    if (!endpoint.email) problems.push({ path: 'email', message: 'an email endpoint needs "email"' });
    if (endpoint.url) problems.push({ path: 'url', message: 'an email endpoint takes no "url"' });
  } else {
    if (!endpoint.url) problems.push({ path: 'url', message: `a ${endpoint.kind} endpoint needs "url"` });
    else if (!rules.allowHttpUrls && !endpoint.url.startsWith('https://'))
      problems.push({ path: 'url', message: 'url must use https (plain http is allowed only when ALLOW_HTTP_URLS=true)' });
    if (endpoint.email) problems.push({ path: 'email', message: `a ${endpoint.kind} endpoint takes no "email"` });
  }
  if (endpoint.kind !== 'custom' && endpoint.auth.type !== 'none')
    problems.push({ path: 'auth', message: `authentication applies to custom endpoints only, not ${endpoint.kind}` });
  return problems;
}

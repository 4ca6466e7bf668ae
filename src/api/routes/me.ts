/**
 * `GET /v1/me`: who the request's key acts as, and whether keys are required at all. The
 * Webhooks page asks it first: a 401 means "sign in", a 200 says whether to show a client picker.
 */
import { principalViewSchema } from '../../schemas/responses';
import { principalOf } from '../auth/principal';
import { defineRoute } from '../route';

export const getPrincipalRoute = defineRoute({
  method: 'get',
  path: '/v1/me',
  operationId: 'getPrincipal',
  summary: 'Who the API key acts as, and whether keys are required',
  description: 'With AUTH=off every request acts as an admin (`authRequired: false`).',
  tag: 'api keys',
  responses: [{ status: 200, description: 'the key\'s role and client', schema: principalViewSchema }],
  handler: ({ res, reply }, deps) => {
    const principal = principalOf(res);
    return reply(200, {
      role: principal.role,
      clientId: principal.role === 'client' ? principal.clientId : null,
      authRequired: deps.authRequired,
      portal: (principal.role === 'client' && principal.portal) || null,
    });
  },
});

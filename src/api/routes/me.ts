/**
 * `GET /v1/me`: who the request's key acts as, and whether keys are required at all. The
 * Webhooks page asks it first: a 401 means "sign in", a 200 says whether to show a client picker.
 */
import { Router } from 'express';
import { principalOf } from '../auth/principal';

export function meRouter(deps: { authRequired: boolean }): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const principal = principalOf(res);
    res.json({
      role: principal.role,
      clientId: principal.role === 'client' ? principal.clientId : null,
      authRequired: deps.authRequired,
      portal: (principal.role === 'client' && principal.portal) || null,
    });
  });
  return router;
}

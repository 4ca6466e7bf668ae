import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import { EVENT_TYPES } from '../event-types';
import { requireApiKey } from './api-keys';
import { errorHandler, requireJson, unknownRoute } from './errors';
import { openApiJson } from './openapi';
import { callsRouter } from './routes/calls';
import { endpointsRouter } from './routes/endpoints';
import { eventsRouter } from './routes/events';
import type { DeliverySettings } from '../delivery-settings';
import { healthRouter } from './routes/health';
import { signingKeysRouter } from './routes/signing-keys';
import { metricsRouter } from './routes/metrics';
import { operationsRouter } from './routes/operations';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  allowHttpUrls: boolean;
  /** False: endpoint urls on private or special-purpose IP addresses are refused (default true). */
  allowPrivateNetworks?: boolean;
  maxBodyBytes: number;
  /** The RSA keys rsa endpoints are signed with; the API publishes their public halves. */
  signingKeys: SigningKeyRing;
  /** How long an hmac secret replaced by rotate-secret keeps signing (HMAC_SECRET_OVERLAP). */
  hmacSecretOverlapMs: number;
  /** How long a request waits on Temporal before answering 503; default 5 s. */
  temporalTimeoutMs?: number;
  /** How long `POST /v1/endpoints/:id/test` waits for the first attempt; default 20 s. */
  testWaitMs?: number;
  /** The Temporal SDK runtime's Prometheus endpoint, appended to GET /metrics. */
  temporalMetricsUrl?: string;
  /**
   * The workers' delivery settings (the same RETRY_* and DELIVERY_* configuration): handed to a new
   * call's workflow with its first event, which saves the run a start-up step. Optional.
   */
  deliverySettings?: DeliverySettings;
  /** Keys one of which every /v1 request must carry as a Bearer token; none: the API is open. */
  apiKeys?: readonly string[];
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  const temporalTimeoutMs = deps.temporalTimeoutMs ?? 5_000;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requireJson);
  app.use(express.json({ limit: deps.maxBodyBytes, strict: true }));
  app.use(healthRouter({ pool: deps.pool, temporal: deps.temporal, timeoutMs: temporalTimeoutMs }));
  app.use(metricsRouter({ ...(deps.temporalMetricsUrl && { temporalMetricsUrl: deps.temporalMetricsUrl }) }));
  const openapi = openApiJson();
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.use('/v1', requireApiKey(deps.apiKeys ?? []));
  app.get('/v1/event-types', (_req, res) => {
    res.json({
      data: Object.entries(EVENT_TYPES).map(([name, t]) => ({ name, title: t.title, terminal: t.terminal, system: t.system })),
    });
  });
  const temporalDeps = {
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    signalTimeoutMs: temporalTimeoutMs,
    ...(deps.deliverySettings && { deliverySettings: deps.deliverySettings }),
  };
  const operations = operationsRouter({ pool: deps.pool, ...temporalDeps, testWaitMs: deps.testWaitMs ?? 20_000 });
  app.use('/v1/endpoints', operations.endpoints);
  app.use(
    '/v1/endpoints',
    endpointsRouter({
      pool: deps.pool,
      rules: { allowHttpUrls: deps.allowHttpUrls, allowPrivateNetworks: deps.allowPrivateNetworks ?? true },
      hmacSecretOverlapMs: deps.hmacSecretOverlapMs,
    }),
  );
  app.use(signingKeysRouter({ signingKeys: deps.signingKeys }));
  app.use('/v1/events', eventsRouter({ pool: deps.pool, ...temporalDeps }));
  app.use('/v1/calls', callsRouter({ pool: deps.pool }), operations.calls);
  app.use('/v1/deliveries', operations.deliveries);
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}

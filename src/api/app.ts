import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { EVENT_TYPES } from '../event-types';
import { errorHandler, requireJson, unknownRoute } from './errors';
import { callsRouter } from './routes/calls';
import { endpointsRouter } from './routes/endpoints';
import { eventsRouter } from './routes/events';
import { healthRouter } from './routes/health';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  allowHttpUrls: boolean;
  maxBodyBytes: number;
  /** How long a request waits on Temporal before answering 503; default 5 s. */
  temporalTimeoutMs?: number;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  const temporalTimeoutMs = deps.temporalTimeoutMs ?? 5_000;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requireJson);
  app.use(express.json({ limit: deps.maxBodyBytes, strict: true }));
  app.use(healthRouter({ pool: deps.pool, temporal: deps.temporal, timeoutMs: temporalTimeoutMs }));
  app.get('/v1/event-types', (_req, res) => {
    res.json({ data: Object.entries(EVENT_TYPES).map(([name, t]) => ({ name, title: t.title, terminal: t.terminal })) });
  });
  app.use('/v1/endpoints', endpointsRouter({ pool: deps.pool, rules: { allowHttpUrls: deps.allowHttpUrls } }));
  app.use(
    '/v1/events',
    eventsRouter({ pool: deps.pool, temporal: deps.temporal, taskQueue: deps.taskQueue, signalTimeoutMs: temporalTimeoutMs }),
  );
  app.use('/v1/calls', callsRouter({ pool: deps.pool }));
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}

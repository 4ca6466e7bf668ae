import type { Client } from '@temporalio/client';
import { logger } from '../observability/logger';
import { ApiError } from './errors';

export interface TemporalDeps {
  temporal: Client;
  taskQueue: string;
  /** How long to wait for Temporal before answering 503. */
  signalTimeoutMs: number;
}

/** Runs a Temporal call under a deadline; if Temporal does not answer, the request fails with 503. */
export async function callTemporal<T>(deps: TemporalDeps, what: string, context: object, call: () => Promise<T>): Promise<T> {
  try {
    return await deps.temporal.connection.withDeadline(Date.now() + deps.signalTimeoutMs, call);
  } catch (err) {
    logger.error({ err, ...context }, `could not ${what}`);
    throw new ApiError(503, 'temporal_unavailable', `could not ${what}: Temporal is unreachable; retry later`);
  }
}

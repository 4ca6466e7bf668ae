/**
 * BENCH_API=apart: callhook's API as a process of its own (`src/api/main.ts`, as `npm run api`
 * runs it), on the run's dev server, Postgres and task queue, so that accepting events never waits
 * behind the worker's activities on one event loop. The harness's worker still delivers; its own
 * API stays for registering endpoints, and its outbox relay is stopped (the API apart has its own).
 * Started before any endpoint exists: the API re-seals existing endpoint secrets under its key at
 * start, and those of the run are sealed by the harness.
 */
import net from 'node:net';
import type { Harness } from '../../test/helpers/harness';
import { ServiceProcess } from '../../test/helpers/service-process';
import type { DeliverySettings } from '../../src/config/delivery-settings';

export interface ApiApart {
  base: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startApiApart(h: Harness, settings: DeliverySettings): Promise<ApiApart> {
  await h.outbox.stop();
  const port = await freePort();
  const api = ServiceProcess.start('api-apart', 'src/api/main.ts', {
    TEMPORAL_ADDRESS: h.env.address,
    DATABASE_URL: h.db.url,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH: 'off',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    TEMPORAL_METRICS_ADDRESS: 'off',
    OUTBOX_POLL: '250ms',
    MAX_BODY_BYTES: '65536',
    // A new call's first run takes these from the relay: the harness's delivery settings.
    DELIVERY_ATTEMPT_TIMEOUT: `${settings.attemptTimeoutMs}ms`,
    RETRY_INITIAL_INTERVAL: `${settings.initialIntervalMs}ms`,
    RETRY_BACKOFF_COEFFICIENT: String(settings.backoffCoefficient),
    RETRY_MAX_INTERVAL: `${settings.maximumIntervalMs}ms`,
    RETRY_MAX_RETRIES: String(settings.maxAttempts - 1),
    CALL_IDLE_TIMEOUT: `${settings.idleTimeoutMs}ms`,
    CALL_ABANDON_TIMEOUT: `${settings.abandonTimeoutMs}ms`,
  });
  await api.waitForLog('callhook API running', 60_000);
  return { base: `http://127.0.0.1:${port}`, stop: () => api.kill('SIGTERM') };
}

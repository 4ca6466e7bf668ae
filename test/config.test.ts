import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config';
import { deliverySettingsFrom } from '../src/config/delivery-settings';
import { DEFAULT_ENDPOINT_HEALTH, endpointHealthSettingsFrom } from '../src/config/endpoint-health-settings';
import { tracingSettingsFrom } from '../src/observability/tracing';

/** Production needs a secrets key; any valid ring will do here. */
const PRODUCTION_SECRETS = { SECRETS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };

test('defaults: 7 attempts over 30 s, 2 m, 8 m, 32 m, then capped at 4 h; 10 s attempts', () => {
  const config = loadConfig({});
  const settings = deliverySettingsFrom(config);
  assert.deepEqual(settings, {
    maxAttempts: 7,
    initialIntervalMs: 30_000,
    backoffCoefficient: 4,
    maximumIntervalMs: 4 * 3_600_000,
    attemptTimeoutMs: 10_000,
    idleTimeoutMs: 600_000,
    abandonTimeoutMs: 86_400_000,
  });
  assert.equal(config.PORT, 3000);
  assert.equal(config.TEMPORAL_TASK_QUEUE, 'callhook');
  assert.equal(config.ALLOW_HTTP_URLS, true);
  assert.equal(loadConfig({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }).ALLOW_HTTP_URLS, false);
  assert.equal(loadConfig({ NODE_ENV: 'production', ...PRODUCTION_SECRETS, ALLOW_HTTP_URLS: 'true' }).ALLOW_HTTP_URLS, true);
  assert.deepEqual([config.DB_POOL_SIZE, config.WORKER_ACTIVITY_SLOTS, config.WORKER_MAX_CACHED_WORKFLOWS], [20, 100, 1_000]);
  const sized = loadConfig({ DB_POOL_SIZE: '40', WORKER_ACTIVITY_SLOTS: '200', WORKER_MAX_CACHED_WORKFLOWS: '10000' });
  assert.deepEqual([sized.DB_POOL_SIZE, sized.WORKER_ACTIVITY_SLOTS, sized.WORKER_MAX_CACHED_WORKFLOWS], [40, 200, 10_000]);
  assert.equal(config.WORKER_BOOKKEEPING_SLOTS, 10);
  assert.equal(config.CATALOG_ALLOW_UNKNOWN_TYPES, false);
  assert.deepEqual(config.PORTAL_FRAME_ANCESTORS, []);
  assert.equal(config.PORTAL_BASE_URL, undefined);
  const portal = loadConfig({ PORTAL_FRAME_ANCESTORS: 'https://dashboard.example.com, http://localhost:3001', PORTAL_BASE_URL: 'https://webhooks.example.com' });
  assert.deepEqual(portal.PORTAL_FRAME_ANCESTORS, ['https://dashboard.example.com', 'http://localhost:3001']);
});

test('durations take ms, s, m, h, d or bare milliseconds', () => {
  const config = loadConfig({ RETRY_INITIAL_INTERVAL: '1.5s', RETRY_MAX_INTERVAL: '2h', CALL_IDLE_TIMEOUT: '250', CALL_ABANDON_TIMEOUT: '1d' });
  assert.deepEqual(
    [config.RETRY_INITIAL_INTERVAL, config.RETRY_MAX_INTERVAL, config.CALL_IDLE_TIMEOUT, config.CALL_ABANDON_TIMEOUT],
    [1_500, 7_200_000, 250, 86_400_000],
  );
});

test('a bad value stops start-up with a message naming the variable', () => {
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ RETRY_INITIAL_INTERVAL: 'soon' }, /RETRY_INITIAL_INTERVAL: "soon" is not a duration/],
    [{ RETRY_MAX_RETRIES: '-1' }, /RETRY_MAX_RETRIES/],
    [{ RETRY_BACKOFF_COEFFICIENT: '0.5' }, /RETRY_BACKOFF_COEFFICIENT/],
    [{ ALLOW_HTTP_URLS: 'yes' }, /ALLOW_HTTP_URLS/],
    [{ TEMPORAL_METRICS_ADDRESS: 'nowhere' }, /TEMPORAL_METRICS_ADDRESS/],
    [{ DB_POOL_SIZE: '1' }, /DB_POOL_SIZE/],
    [{ WORKER_ACTIVITY_SLOTS: 'many' }, /WORKER_ACTIVITY_SLOTS/],
    [{ WORKER_MAX_CACHED_WORKFLOWS: '-5' }, /WORKER_MAX_CACHED_WORKFLOWS/],
    [{ WORKER_BOOKKEEPING_SLOTS: '0' }, /WORKER_BOOKKEEPING_SLOTS/],
    [{ CATALOG_ALLOW_UNKNOWN_TYPES: 'maybe' }, /CATALOG_ALLOW_UNKNOWN_TYPES/],
    [{ PORTAL_FRAME_ANCESTORS: 'dashboard.example.com' }, /PORTAL_FRAME_ANCESTORS/],
    [{ PORTAL_FRAME_ANCESTORS: "'self' https://a.example.com/path" }, /PORTAL_FRAME_ANCESTORS/],
    [{ PORTAL_BASE_URL: 'webhooks.example.com' }, /PORTAL_BASE_URL/],
    [{ ENDPOINT_DISABLE_AFTER: 'never' }, /ENDPOINT_DISABLE_AFTER/],
    [{ CIRCUIT_BREAKER_CALLS: '-1' }, /CIRCUIT_BREAKER_CALLS/],
    [{ CIRCUIT_BREAKER_CALLS: '2.5' }, /CIRCUIT_BREAKER_CALLS/],
    [{ CIRCUIT_BREAKER_COOLDOWN: '10ms' }, /CIRCUIT_BREAKER_COOLDOWN/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
  }
});

test('endpoint health: 5 days to auto-disable (off: never), a circuit of 5 calls and 1 min by default', () => {
  assert.deepEqual(endpointHealthSettingsFrom(loadConfig({})), DEFAULT_ENDPOINT_HEALTH);
  assert.deepEqual(DEFAULT_ENDPOINT_HEALTH, { circuitBreakerCalls: 5, circuitCooldownMs: 60_000, disableAfterMs: 5 * 86_400_000 });
  const set = endpointHealthSettingsFrom(loadConfig({ ENDPOINT_DISABLE_AFTER: 'off', CIRCUIT_BREAKER_CALLS: '0', CIRCUIT_BREAKER_COOLDOWN: '30s' }));
  assert.deepEqual(set, { circuitBreakerCalls: 0, circuitCooldownMs: 30_000, disableAfterMs: 0 });
  assert.equal(loadConfig({ ENDPOINT_DISABLE_AFTER: '12h' }).ENDPOINT_DISABLE_AFTER, 12 * 3_600_000);
});

test('tracing: off without an endpoint or when disabled; the base URL gets /v1/traces, a traces URL is taken as is; only http/json', () => {
  assert.equal(tracingSettingsFrom(loadConfig({})), null);
  assert.deepEqual(tracingSettingsFrom(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })), {
    tracesUrl: 'http://collector:4318/v1/traces',
    serviceName: 'callhook',
  });
  assert.deepEqual(
    tracingSettingsFrom(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp', OTEL_SERVICE_NAME: 'hooks' }),
    ),
    { tracesUrl: 'https://traces.example/otlp', serviceName: 'hooks' },
  );
  assert.equal(tracingSettingsFrom(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })), null);
  assert.equal(tracingSettingsFrom(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })), null);
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), (err: Error) => err instanceof ConfigError && /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/.test(err.message));
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL: callhook exports OTLP over HTTP with JSON bodies/);
});

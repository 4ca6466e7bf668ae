/**
 * OpenTelemetry tracing: one trace per event, from the API request that accepted it through the outbox
 * relay's signal, the call workflow and its activities to each HTTP attempt. Configured by the standard
 * variables (OTLP over HTTP, JSON bodies): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT
 * with `/v1/traces` appended; OTEL_EXPORTER_OTLP_HEADERS (read by the exporter); OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES; OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none turn it off. With no endpoint
 * set, nothing is registered: the OpenTelemetry API then hands out no-op spans, and the worker runs the
 * workflow bundle without tracing interceptors, so tracing off costs nothing.
 *
 * Spans carry ids, types, routes and status codes only: never an event's body, a header value or a secret.
 */
import { DiagLogLevel, context, diag, propagation, trace, type DiagLogger, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource, detectResourcesSync, envDetectorSync, hostDetectorSync, processDetectorSync } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { CALLHOOK_VERSION } from '../process/version';
import type { Logger } from './logger';

/** Where spans go and who sends them. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL, such as http://collector:4318/v1/traces. */
  tracesUrl: string;
  /** service.name (OTEL_SERVICE_NAME); default `callhook`. */
  serviceName: string;
}

/** A process's tracing, once started: what the Temporal interceptors and the worker's workflow span sink need. */
export interface Tracing {
  settings: TracingSettings;
  provider: NodeTracerProvider;
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

const INSTRUMENTATION_SCOPE = 'callhook';

/** The tracer callhook's own spans come from: a no-op one until `startTracing` registers a provider. */
export function tracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE, CALLHOOK_VERSION);
}

type TracingEnv = Partial<
  Record<'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'OTEL_SDK_DISABLED' | 'OTEL_TRACES_EXPORTER', string | undefined>
>;

/** The settings the variables give, or null when tracing is off (no endpoint, or turned off). */
export function tracingSettingsFrom(env: TracingEnv): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return null;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const tracesUrl = traces || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : '');
  if (!tracesUrl) return null;
  return { tracesUrl, serviceName: env.OTEL_SERVICE_NAME?.trim() || 'callhook' };
}

let started: Tracing | null = null;

/**
 * Registers the global tracer provider (W3C trace context propagation, AsyncLocalStorage context) exporting
 * to `settings`. One per process: a second call returns the first. `role` names the process in the resource
 * (`callhook.process`: api, worker or all), so one service's API and worker spans can be told apart.
 */
export function startTracing(settings: TracingSettings, role: 'api' | 'worker' | 'all'): Tracing {
  if (started) return started;
  const resource = Resource.default()
    .merge(detectResourcesSync({ detectors: [processDetectorSync, hostDetectorSync, envDetectorSync] }))
    .merge(new Resource({ 'service.name': settings.serviceName, 'service.version': CALLHOOK_VERSION, 'callhook.process': role }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }), { scheduledDelayMillis: 1_000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const tracing: Tracing = {
    settings,
    provider,
    spanProcessor,
    resource,
    shutdown: async () => {
      await provider.shutdown();
      // Unregistered, so a later startTracing in this process (tests) registers afresh.
      trace.disable();
      context.disable();
      propagation.disable();
      started = null;
    },
  };
  started = tracing;
  return tracing;
}

/** This process's tracing, if started. */
export function activeTracing(): Tracing | null {
  return started;
}

/** Starts tracing when the configuration (the OTEL_* variables) asks for it, and says so in the log. */
export function tracingFrom(config: TracingEnv, role: 'api' | 'worker' | 'all', logger: Logger): Tracing | null {
  const settings = tracingSettingsFrom(config);
  if (!settings) return null;
  // The SDK reports export failures (a collector down) through its diagnostic logger, silent unless set.
  diag.setLogger(throttledDiagLogger(logger), DiagLogLevel.WARN);
  const tracing = startTracing(settings, role);
  logger.info({ tracesUrl: settings.tracesUrl, serviceName: settings.serviceName }, 'tracing on: spans are exported over OTLP/HTTP');
  return tracing;
}

/**
 * The interceptors of a Temporal client when tracing is on: its signals and starts get spans and carry the
 * active context in their headers, so the workflow's spans continue the caller's trace.
 */
export function tracingClientInterceptors(tracing: Tracing | null): { interceptors?: ClientInterceptors } {
  return tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {};
}

/** How often the same kind of OpenTelemetry problem is logged at the most: a collector that is down fails every export. */
const DIAG_LOG_EVERY_MS = 60_000;

/** The SDK's warnings and errors in our log, each message at most once a minute (with how many were not logged). */
function throttledDiagLogger(logger: Logger): DiagLogger {
  const last = new Map<string, { at: number; dropped: number }>();
  const log = (level: 'warn' | 'error') => (raw: string, ...args: unknown[]) => {
    const message = errorMessageOf(raw);
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < DIAG_LOG_EVERY_MS) {
      seen.dropped++;
      return;
    }
    last.set(message, { at: now, dropped: 0 });
    const detail = args.map(describe);
    logger[level]({ detail, ...(seen && { notLoggedSince: seen.dropped }) }, `opentelemetry: ${message}`);
  };
  const ignore = () => undefined;
  return { error: log('error'), warn: log('warn'), info: ignore, debug: ignore, verbose: ignore };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // circular: its class is enough
  }
}

/** The SDK's error handler logs an error as its JSON (stack and all): its `message` is what is worth a log line. */
function errorMessageOf(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : text;
  } catch {
    return text; // not JSON after all
  }
}

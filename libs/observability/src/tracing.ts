import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

/**
 * Traces (docs/decisions/0015-opentelemetry.md). Configured by the standard `OTEL_*` variables,
 * read here and by the SDK itself, and OFF unless an exporter is asked for: with nothing set no
 * SDK is registered, the API's tracer is the no-op one, and a span costs an object allocation.
 */

type Env = Record<string, string | undefined>;

/** The exporters a process runs: none unless configured (unlike the spec's default of `otlp`). */
export type TraceExporterKind = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  exporters: TraceExporterKind[];
  protocol: OtlpProtocol;
}

/**
 * What the `OTEL_*` variables ask for, or null when traces are off: `OTEL_SDK_DISABLED=true`,
 * `OTEL_TRACES_EXPORTER=none`, or neither `OTEL_TRACES_EXPORTER` nor an OTLP endpoint set.
 * Unsupported values (gRPC, zipkin, …) fail the boot with a message rather than export nothing.
 */
// OTEL_* are the SDK's own standard names, not Herald's configuration (README's config table).
// eslint-disable-next-line no-restricted-properties
export function tracingSettingsFromEnv(env: Env = process.env): TracingSettings | null {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return null;
  const listed = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  let exporters: TraceExporterKind[];
  if (listed.length === 0) {
    const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    exporters = endpoint && endpoint.trim() !== '' ? ['otlp'] : [];
  } else if (listed.includes('none')) {
    exporters = [];
  } else {
    for (const name of listed) {
      if (name !== 'otlp' && name !== 'console') throw new Error(`OTEL_TRACES_EXPORTER: "${name}" is not supported (use otlp, console or none)`);
    }
    exporters = [...new Set(listed)] as TraceExporterKind[];
  }
  if (exporters.length === 0) return null;
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported (use http/protobuf or http/json)`);
  }
  return { exporters, protocol };
}

export interface Tracing {
  settings: TracingSettings;
  /** Exports what is buffered (tests; shutdown does it too). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let active: Tracing | null = null;

/**
 * Starts the SDK when the environment asks for traces (see tracingSettingsFromEnv) and registers
 * it globally (W3C trace context propagation, AsyncLocalStorage context). Each process calls it
 * first thing in main.ts; `service` names the process unless OTEL_SERVICE_NAME does.
 * Returns null, having registered nothing, when traces are off.
 */
// eslint-disable-next-line no-restricted-properties
export function startTracing(service: string, env: Env = process.env): Tracing | null {
  if (active) return active;
  const settings = tracingSettingsFromEnv(env);
  if (!settings) return null;
  const { OtlpJsonExporter, OtlpProtoExporter, detectResources, envDetector, resourceFromAttributes, BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, ATTR_SERVICE_NAME } = loadTracingSdk();
  const exporters: SpanExporter[] = settings.exporters.map((kind) =>
    // The OTLP exporters read OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT themselves.
    kind === 'console' ? new ConsoleSpanExporter() : settings.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter(),
  );
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over Herald's defaults.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }).merge(detectResources({ detectors: [envDetector] }));
  // Sampler (OTEL_TRACES_SAMPLER) and batching (OTEL_BSP_*) come from the environment too.
  const provider = new NodeTracerProvider({ resource, spanProcessors: exporters.map((e) => new BatchSpanProcessor(e)) });
  provider.register();
  const tracing: Tracing = {
    settings,
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (active === tracing) active = null;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  active = tracing;
  return tracing;
}

/**
 * The SDK and its exporters, loaded only when traces are on: with them loaded and unused, every
 * process (traces off by default) held ~10 MB more resident memory, against the 300 MB each
 * may use (docs/performance.md, fourteenth pass).
 */
function loadTracingSdk() {
  const http = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const proto = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const sdk = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const conventions = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  return {
    OtlpJsonExporter: http.OTLPTraceExporter,
    OtlpProtoExporter: proto.OTLPTraceExporter,
    detectResources: resources.detectResources,
    envDetector: resources.envDetector,
    resourceFromAttributes: resources.resourceFromAttributes,
    BatchSpanProcessor: sdk.BatchSpanProcessor,
    ConsoleSpanExporter: sdk.ConsoleSpanExporter,
    NodeTracerProvider: sdk.NodeTracerProvider,
    ATTR_SERVICE_NAME: conventions.ATTR_SERVICE_NAME,
  };
}

/** The running SDK, if traces are on in this process. */
export function activeTracing(): Tracing | null {
  return active;
}

/** Flushes and stops the SDK, if running (process shutdown). */
export async function shutdownTracing(): Promise<void> {
  await active?.shutdown();
}

/** Herald's tracer: the no-op one until startTracing registered the SDK. */
export function heraldTracer(): Tracer {
  return trace.getTracer('herald');
}

/**
 * Span attributes of Herald's ids, under `herald.*`. Only ids and counts ever go in
 * attributes: never payloads, headers, URLs' paths or queries, or secrets.
 */
export const SpanAttr = {
  tenantId: 'herald.tenant_id',
  appId: 'herald.app_id',
  endpointId: 'herald.endpoint_id',
  messageId: 'herald.message_id',
  deliveryId: 'herald.delivery_id',
  attemptId: 'herald.attempt_id',
  attemptNumber: 'herald.attempt.number',
  outcome: 'herald.attempt.outcome',
  eventType: 'herald.event_type',
  deliveries: 'herald.deliveries',
  /** An ingest whose app, endpoints or event type changed after it was routed: routed again. */
  ingestStale: 'herald.ingest.stale',
} as const;

/** Runs `fn` in a new active span, ended (and marked failed on a throw) when it settles. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return heraldTracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
}

/** The active span's W3C traceparent, to carry across the queue; null when nothing is traced. */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'] ?? null;
}

/** The context a carried traceparent continues (the root context when there is none). */
export function contextFromTraceparent(traceparent: string | null): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * A Fastify `serverFactory` whose server opens a SERVER span per request (continuing a caller's
 * `traceparent`) and makes it the active context for the whole request, body events included.
 * Only used when traces are on. The span is named by method until the route is known
 * (nameRequestSpan); its attributes are the method, route and status — never the URL.
 */
export function tracedServerFactory(handler: RequestListener): ReturnType<typeof createServer> {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = heraldTracer().startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
    const ctx = trace.setSpan(parent, span);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // Listeners added later (body 'data'/'end') run in the request's context too.
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, () => handler(req, res));
  });
}

/** Names the active request span after its route template (`POST /api/v1/app/:appId/msg`). */
export function nameRequestSpan(method: string, route: string | undefined): void {
  if (!route) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

/** Adds attributes to the active span, if any (the request span learns its tenant after auth). */
export function annotateActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** The active span's ids for a log line (pino mixin), so logs and traces find each other. */
export function traceLogFields(): Record<string, string> {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

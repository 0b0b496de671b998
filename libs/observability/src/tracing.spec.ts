import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { activeTracing, currentTraceparent, heraldTracer, inSpan, startTracing, tracingSettingsFromEnv } from './tracing';

describe('tracingSettingsFromEnv', () => {
  it('is off with nothing configured (no exporter unless asked for, unlike the spec default)', () => {
    expect(tracingSettingsFromEnv({})).toBeNull();
    // Resource and sampler settings alone ask for no exporter.
    expect(tracingSettingsFromEnv({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'always_on' })).toBeNull();
  });

  it('turns on with an OTLP endpoint or an explicit exporter', () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ exporters: ['otlp'], protocol: 'http/protobuf' });
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toEqual({
      exporters: ['otlp'],
      protocol: 'http/json',
    });
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp, console', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toEqual({
      exporters: ['otlp', 'console'],
      protocol: 'http/json',
    });
  });

  it('stays off when disabled or told none, whatever else is set', () => {
    expect(tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).not.toBeNull();
  });

  it('refuses what it cannot export, naming the variable', () => {
    expect(() => tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER: "zipkin"/);
    expect(() => tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"/);
  });
});

describe('the tracing SDK', () => {
  /** Whether a process that starts tracing with `env` loaded the SDK (the built module, as the processes run it). */
  const loadsSdk = (env: Record<string, string>): string => {
    const built = path.resolve(__dirname, '../../../dist/libs/observability/src/tracing.js');
    const script = `const t = require(${JSON.stringify(built)}); t.startTracing('probe');
      const loaded = Object.keys(require.cache).some((k) => k.includes('sdk-trace-node'));
      t.shutdownTracing().then(() => process.stdout.write(String(loaded)));`;
    return execFileSync(process.execPath, ['-e', script], { env }).toString();
  };

  it('is not even loaded when traces are off (memory each process would hold for nothing)', () => {
    expect(loadsSdk({})).toBe('false');
    expect(loadsSdk({ OTEL_TRACES_EXPORTER: 'console' })).toBe('true');
  });
});

describe('startTracing with nothing configured', () => {
  it('registers nothing: no SDK, a no-op tracer, no trace context to carry', async () => {
    expect(startTracing('herald-test', {})).toBeNull();
    expect(activeTracing()).toBeNull();
    const span = heraldTracer().startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    await inSpan('y', { 'herald.message_id': 'msg_1' }, async (s) => {
      expect(s.isRecording()).toBe(false);
      expect(trace.getSpan(context.active())?.isRecording() ?? false).toBe(false);
      expect(currentTraceparent()).toBeNull();
    });
  });
});

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

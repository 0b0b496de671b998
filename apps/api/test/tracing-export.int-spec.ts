import { afterAll, describe, expect, it, vi } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '@herald/testing';
import { contextFromTraceparent, currentTraceparent, heraldTracer, inSpan, startTracing, type Tracing } from '@herald/observability';

// The spec's default protocol, http/protobuf, against a real OTLP/HTTP receiver on loopback
// (the end-to-end trace test uses http/json, which it decodes).
describe('OTLP export with the default protocol (http/protobuf)', () => {
  let otlp: OtlpReceiver | undefined;
  let tracing: Tracing | null = null;
  afterAll(async () => {
    await tracing?.shutdown();
    vi.unstubAllEnvs();
    await otlp?.close();
  });

  it('exports spans as protobuf to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, named by OTEL_SERVICE_NAME', async () => {
    otlp = await startOtlpReceiver();
    // The exporter and the resource detector read the process environment themselves.
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', otlp.url);
    vi.stubEnv('OTEL_SERVICE_NAME', 'herald-proto-check');
    tracing = startTracing('herald-test');
    expect(tracing?.settings).toEqual({ exporters: ['otlp'], protocol: 'http/protobuf' });
    await inSpan('herald.check', { 'herald.message_id': 'msg_proto_check_1' }, async (span) => {
      expect(span.isRecording()).toBe(true);
      heraldTracer().startSpan('child').end();
    });
    await tracing!.flush();
    expect(otlp.protobufBodies.length).toBeGreaterThan(0);
    const body = Buffer.concat(otlp.protobufBodies).toString('latin1');
    for (const text of ['herald.check', 'msg_proto_check_1', 'herald-proto-check']) expect(body).toContain(text);
    // Herald's default name gave way to OTEL_SERVICE_NAME.
    expect(body).not.toContain('herald-test');
  });

  it('carries a dropped sampling decision across the queue: attempts of an unsampled ingest are not recorded', async () => {
    await tracing?.shutdown();
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    tracing = startTracing('herald-test');
    let carried: string | null = null;
    await inSpan('herald.ingest', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      carried = currentTraceparent();
    });
    // Stored in the message row as it is, flagged unsampled.
    expect(carried).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const attempt = heraldTracer().startSpan('herald.delivery.attempt', {}, contextFromTraceparent(carried));
    expect(attempt.isRecording()).toBe(false);
    expect(attempt.spanContext().traceId).toBe(carried!.split('-')[1]);
    attempt.end();
  });
});

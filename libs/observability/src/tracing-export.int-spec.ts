import { afterAll, describe, expect, it, vi } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '@herald/testing';
import { heraldTracer, inSpan, startTracing, type Tracing } from './tracing';

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
});

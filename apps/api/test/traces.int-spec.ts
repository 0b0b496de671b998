import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  assertBuilt,
  createTestDatabase,
  dropTestDatabase,
  fleetEnv,
  heraldHttp,
  provisionFleetTenant,
  startHeraldProcess,
  startOtlpReceiver,
  startWebhookReceiver,
  stoppedCleanly,
  TEST_ADMIN_TOKEN,
  TEST_MASTER_KEYS,
  waitUntilReady,
  type FleetTenant,
  type HeraldHttp,
  type HeraldProcess,
  type OtlpReceiver,
  type ReceivedSpan,
  type WebhookReceiver,
} from '@herald/testing';

// The BUILT api and dispatcher (`npm test` builds first), as deployed: each process's main.ts
// starts the SDK from its own OTEL_* environment, and the trace crosses from one process to
// the other only through the message row in PostgreSQL.

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Fleet {
  http: HeraldHttp;
  processes: HeraldProcess[];
  db: { url: string; name: string };
  output(): string;
  stop(): Promise<void>;
}

async function startFleet(extra: Record<string, string>): Promise<Fleet> {
  const db = await createTestDatabase();
  const port = await freePort();
  const env = {
    ...fleetEnv({ databaseUrl: db.url, redis: {}, prefix: `${inject('queuePrefix')}-traces-${randomBytes(4).toString('hex')}` }),
    PORT: String(port),
    HERALD_RETRY_SCHEDULE: '1,1,1',
    HERALD_LOG_LEVEL: 'info',
    ...extra,
  };
  const processes = [startHeraldProcess('api', env), startHeraldProcess('dispatcher', env)];
  const output = (): string => processes.map((p) => `--- ${p.app}\n${p.output()}`).join('\n');
  const fleet: Fleet = {
    http: heraldHttp(port),
    processes,
    db,
    output,
    async stop() {
      await Promise.all(processes.map((p) => p.stop('SIGTERM', 20_000)));
      await dropTestDatabase(db.name);
    },
  };
  try {
    await waitUntilReady(fleet.http, { dispatcher: 1 }, 30_000, output);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

/** Every attribute value of every span, for the "no payload, no secret" check. */
const attributeValues = (spans: ReceivedSpan[]): string[] => spans.flatMap((s) => [s.name, ...Object.values(s.attributes)]);

describe('OpenTelemetry traces', () => {
  let otlp: OtlpReceiver;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    assertBuilt(['api', 'dispatcher']);
    otlp = await startOtlpReceiver();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await otlp?.close();
    await receiver?.close();
  });

  describe('exported over OTLP/HTTP', () => {
    let fleet: Fleet;
    let tenant: FleetTenant;
    beforeAll(async () => {
      fleet = await startFleet({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' });
      tenant = await provisionFleetTenant(fleet.http, [receiver], `traces-${randomBytes(3).toString('hex')}`);
    }, 60_000);
    afterAll(async () => {
      await fleet?.stop();
    });

    it('follows one message from the API request through ingest to every delivery attempt, in one trace', async () => {
      const marker = `payload-marker-${randomBytes(8).toString('hex')}`;
      const endpoint = tenant.endpoints[0]!;
      // The first attempt fails, the retry (1 s later) succeeds: two attempt spans.
      let calls = 0;
      receiver.setHandler((req) => (req.path === endpoint.path && calls++ === 0 ? { status: 503 } : { status: 204 }));
      const sent = await fleet.http.call<{ id: string }>('POST', `/api/v1/app/${tenant.appId}/msg`, tenant.key, { eventType: 'trace.test', payload: { marker } });
      expect(sent.status).toBe(202);
      const msgId = sent.body.id;

      const ofMessage = (spans: ReceivedSpan[]): ReceivedSpan[] => spans.filter((s) => s.attributes['herald.message_id'] === msgId);
      const spans = await otlp.waitFor((all) => ofMessage(all).filter((s) => s.name === 'herald.delivery.attempt').length >= 2, 20_000);

      const ingest = ofMessage(spans).find((s) => s.name === 'herald.ingest');
      expect(ingest, fleet.output()).toBeDefined();
      const traceId = ingest!.traceId;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const trace = spans.filter((s) => s.traceId === traceId);

      // The API request: the trace's root, a SERVER span named by its route.
      const request = trace.find((s) => s.spanId === ingest!.parentSpanId)!;
      expect(request).toMatchObject({ service: 'herald-api', kind: SERVER, parentSpanId: '', name: 'POST /api/v1/app/:app_id/msg' });
      expect(request.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/api/v1/app/:app_id/msg', 'http.response.status_code': '202' });

      expect(ingest).toMatchObject({ service: 'herald-api' });
      const tenantId = ingest!.attributes['herald.tenant_id']!;
      expect(tenantId).toMatch(/^tnt_/);
      expect(ingest!.attributes).toMatchObject({ 'herald.app_id': tenant.appId, 'herald.message_id': msgId, 'herald.event_type': 'trace.test', 'herald.deliveries': '1' });
      expect(request.attributes['herald.tenant_id']).toBe(tenantId);

      // Every attempt, in the dispatcher, is a child of the ingest span: one trace per message.
      const attempts = trace.filter((s) => s.name === 'herald.delivery.attempt').sort((a, b) => Number(a.attributes['herald.attempt.number']) - Number(b.attributes['herald.attempt.number']));
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) {
        expect(attempt).toMatchObject({ service: 'herald-dispatcher', kind: CLIENT, parentSpanId: ingest!.spanId });
        expect(attempt.attributes).toMatchObject({ 'herald.tenant_id': tenantId, 'herald.app_id': tenant.appId, 'herald.message_id': msgId });
        expect(attempt.attributes['herald.endpoint_id']).toMatch(/^ep_/);
        expect(attempt.attributes['herald.delivery_id']).toMatch(/^dlv_/);
        expect(attempt.attributes['herald.attempt_id']).toMatch(/^atmpt_/);
      }
      expect(attempts[0]!.attributes).toMatchObject({ 'herald.attempt.number': '1', 'http.response.status_code': '503', 'herald.attempt.outcome': 'retry' });
      expect(attempts[0]!.statusCode).toBe(ERROR);
      expect(attempts[1]!.attributes).toMatchObject({ 'herald.attempt.number': '2', 'http.response.status_code': '204', 'herald.attempt.outcome': 'success' });
      expect(attempts[1]!.statusCode).not.toBe(ERROR);

      // The API's request log lines name the trace (logs and traces find each other).
      const apiOutput = fleet.processes.find((p) => p.app === 'api')!.output();
      expect(apiOutput).toMatch(new RegExp(`"trace_id":"${traceId}","span_id":"${request.spanId}"[^\\n]*"msg":"incoming request"`));

      // The trace context travelled in the message row, the only thing the two processes share.
      const pg = new Client({ connectionString: fleet.db.url });
      await pg.connect();
      try {
        const row = await pg.query<{ trace_parent: string }>('SELECT trace_parent FROM messages WHERE id = $1', [msgId]);
        expect(row.rows[0]?.trace_parent).toBe(`00-${traceId}-${ingest!.spanId}-01`);
      } finally {
        await pg.end();
      }

      // Herald's trace ids stay Herald's: webhook requests carry no trace context.
      expect(receiver.requests.filter((r) => r.path === endpoint.path).map((r) => r.headers['traceparent'] ?? null)).toEqual([null, null]);

      // Ids only: no payload, API key, signing secret, admin token or master key in any span.
      const values = attributeValues(otlp.spans).join('\n');
      for (const secret of [marker, tenant.key, endpoint.secret, endpoint.secret.replace(/^whsec_/, ''), TEST_ADMIN_TOKEN, TEST_MASTER_KEYS.split(':')[1]!]) {
        expect(values).not.toContain(secret);
      }
    });

    it("continues a caller's trace given in a traceparent header", async () => {
      const callerTrace = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      receiver.setHandler(() => ({ status: 204 }));
      const sent = await fleet.http.call<{ id: string }>('POST', `/api/v1/app/${tenant.appId}/msg`, tenant.key, { eventType: 'trace.test', payload: {} }, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
      expect(sent.status).toBe(202);
      const spans = await otlp.waitFor((all) => all.some((s) => s.name === 'herald.delivery.attempt' && s.attributes['herald.message_id'] === sent.body.id), 20_000);
      const trace = spans.filter((s) => s.traceId === callerTrace);
      expect(trace.map((s) => s.name).sort()).toEqual(['POST /api/v1/app/:app_id/msg', 'herald.delivery.attempt', 'herald.ingest']);
      expect(trace.find((s) => s.kind === SERVER)?.parentSpanId).toBe(callerSpan);
    });

    it('delivers an operational webhook in the trace of the request that caused it', async () => {
      receiver.setHandler(() => ({ status: 204 }));
      const patched = await request(`${fleet.http.base}/api/v1/tenant/settings`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ operationalWebhookUrl: `${receiver.url}/ops` }),
      });
      await patched.body.dump();
      expect(patched.statusCode).toBe(200);
      const created = await fleet.http.call<{ id: string }>('POST', `/api/v1/app/${tenant.appId}/endpoint`, tenant.key, { url: `${receiver.url}/second` });
      expect(created.status).toBe(201);
      await receiver.waitFor((reqs) => reqs.some((r) => r.path === '/ops' && r.body.includes(created.body.id)), 15_000);
      const notice = receiver.requests.find((r) => r.path === '/ops' && r.body.includes(created.body.id))!;
      const noticeId = String(notice.headers['webhook-id'] ?? notice.headers['svix-id']);
      const spans = await otlp.waitFor((all) => all.some((s) => s.name === 'herald.delivery.attempt' && s.attributes['herald.message_id'] === noticeId), 20_000);
      const attempt = spans.find((s) => s.name === 'herald.delivery.attempt' && s.attributes['herald.message_id'] === noticeId)!;
      const parent = spans.find((s) => s.spanId === attempt.parentSpanId);
      expect(parent).toMatchObject({ service: 'herald-api', kind: SERVER, name: 'POST /api/v1/app/:app_id/endpoint', traceId: attempt.traceId });
    });
  });

  it('exports the spans still buffered when a process stops on SIGTERM', async () => {
    // Batches would wait 10 minutes: only the shutdown flush can deliver these spans.
    const fleet = await startFleet({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    let stopped = false;
    try {
      const tenant = await provisionFleetTenant(fleet.http, [receiver], `flush-${randomBytes(3).toString('hex')}`);
      receiver.setHandler(() => ({ status: 204 }));
      const sent = await fleet.http.call<{ id: string }>('POST', `/api/v1/app/${tenant.appId}/msg`, tenant.key, { eventType: 'trace.test', payload: {} });
      expect(sent.status).toBe(202);
      await receiver.waitFor((reqs) => reqs.some((r) => r.headers['webhook-id'] === sent.body.id || r.headers['svix-id'] === sent.body.id), 15_000);
      const ofMessage = (): ReceivedSpan[] => otlp.spans.filter((s) => s.attributes['herald.message_id'] === sent.body.id);
      expect(ofMessage()).toEqual([]);
      // The dispatcher records the attempt in flight, then the SDK exports (onApplicationShutdown).
      const exits = await Promise.all(fleet.processes.map((p) => p.stop('SIGTERM', 20_000)));
      stopped = true;
      for (const exit of exits) expect(stoppedCleanly(exit), fleet.output()).toBe(true);
      expect(ofMessage().map((s) => `${s.service} ${s.name}`).sort()).toEqual(['herald-api herald.ingest', 'herald-dispatcher herald.delivery.attempt']);
    } finally {
      if (stopped) await dropTestDatabase(fleet.db.name);
      else await fleet.stop();
    }
  }, 60_000);

  describe('traces off', () => {
    it.each([
      ['nothing configured', (): Record<string, string> => ({})],
      ['OTEL_SDK_DISABLED=true, an endpoint set', (): Record<string, string> => ({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })],
    ])('%s: no exporter runs and no trace context is stored', async (_label, env) => {
      const before = otlp.posts();
      const fleet = await startFleet({ ...env(), OTEL_BSP_SCHEDULE_DELAY: '100' });
      try {
        const tenant = await provisionFleetTenant(fleet.http, [receiver], `untraced-${randomBytes(3).toString('hex')}`);
        receiver.setHandler(() => ({ status: 204 }));
        const sent = await fleet.http.call<{ id: string }>('POST', `/api/v1/app/${tenant.appId}/msg`, tenant.key, { eventType: 'trace.test', payload: {} });
        expect(sent.status).toBe(202);
        await receiver.waitFor((reqs) => reqs.some((r) => r.headers['webhook-id'] === sent.body.id || r.headers['svix-id'] === sent.body.id), 15_000);
        const pg = new Client({ connectionString: fleet.db.url });
        await pg.connect();
        try {
          const row = await pg.query<{ trace_parent: string | null }>('SELECT trace_parent FROM messages WHERE id = $1', [sent.body.id]);
          expect(row.rows[0]?.trace_parent).toBeNull();
        } finally {
          await pg.end();
        }
        // Both processes said so when they started.
        for (const p of fleet.processes) {
          expect(p.output()).toMatch(/"traces":"off"/);
          expect(p.output()).not.toContain('"trace_id"');
        }
      } finally {
        await fleet.stop();
      }
      // Stopped (a graceful stop would have flushed any span): nothing was ever exported.
      expect(otlp.posts()).toBe(before);
    }, 60_000);
  });
});

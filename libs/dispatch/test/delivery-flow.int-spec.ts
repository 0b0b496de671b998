import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import type { TenantScope } from '@herald/tenancy';
import { newId } from '@herald/db';
import { DISPATCHER_METRICS_REGISTRY } from '../src';
import { EndpointContextRepository } from '../src/endpoint-context.repository';
import { generateEd25519Secret, generateHmacSecret } from '@herald/signing';
import { createApplication, createEndpoint, createOperationalEndpoint, createTenant, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '@herald/testing';
import { startDispatchHarness, type DispatchHarness } from './harness';

const FIXTURES = join(__dirname, '..', '..', 'http-delivery', 'test-fixtures');
const tls = { key: readFileSync(join(FIXTURES, 'server.key'), 'utf8'), cert: readFileSync(join(FIXTURES, 'server.crt'), 'utf8') };

describe('dispatcher: sign, deliver, record, retry', () => {
  let h: DispatchHarness;
  let opReceiver: WebhookReceiver;
  const receivers: WebhookReceiver[] = [];
  const opSecret = generateHmacSecret();

  const receiver = async (options?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> => {
    const r = await startWebhookReceiver(options);
    receivers.push(r);
    return r;
  };
  const setup = async (url: string, options: { throttleRate?: number; svix?: boolean; opWebhooks?: boolean } = {}): Promise<{ scope: TenantScope; appId: string; endpointId: string; secret: string }> => {
    const { scope } = await createTenant(h.services);
    if (options.svix) await h.prisma.tenantSettings.update({ where: { tenantId: scope.tenantId }, data: { sendSvixHeaders: true } });
    if (options.opWebhooks) await createOperationalEndpoint(h.services, scope, { url: `${opReceiver.url}/ops`, secret: opSecret });
    const app = await createApplication(h.services, scope, { uid: `app-${Math.random().toString(36).slice(2, 8)}` });
    const endpoint = await createEndpoint(h.services, scope, app.id, { url, throttleRate: options.throttleRate });
    return { scope, appId: app.id, endpointId: endpoint.id, secret: endpoint.secret };
  };
  const delivery = (id: string) => h.prisma.delivery.findUniqueOrThrow({ where: { id } });
  const attempts = (deliveryId: string) => h.prisma.attempt.findMany({ where: { deliveryId }, orderBy: { createdAt: 'asc' } });
  const finished = (id: string) => async () => {
    const d = await delivery(id);
    return d.status === 'success' || d.status === 'failed' || d.status === 'skipped' ? d : undefined;
  };
  const opEvents = (type: string) => opReceiver.requests.filter((r) => (JSON.parse(r.body) as { type: string }).type === type);

  beforeAll(async () => {
    h = await startDispatchHarness({
      HERALD_RETRY_SCHEDULE: '1,1,1,1',
      HERALD_DELIVERY_TIMEOUT_MS: '500',
      HERALD_DELIVERY_CA_FILE: join(FIXTURES, 'ca.crt'),
      HERALD_OUTBOX_SWEEP_SECONDS: '30',
    });
    opReceiver = await receiver();
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers a payload that standardwebhooks and svix verify, with custom headers and svix-* when enabled', async () => {
    const r = await receiver();
    const { scope, appId, endpointId, secret } = await setup(`${r.url}/hook`);
    await h.prisma.endpointHeader.create({ data: { endpointId, tenantId: scope.tenantId, name: 'X-Custom-Auth', valueEnc: new Uint8Array(await h.keys.encrypt(scope, 'token-123')) } });
    const payload = { type: 'invoice.paid', data: { amount: 12.5, note: 'ünï ✓' } };
    const { messageId, deliveryIds } = await h.insertMessage(scope, appId, [endpointId], payload);

    const d = await h.waitFor(finished(deliveryIds[0]!), 10_000, 'delivery');
    expect(d).toMatchObject({ status: 'success', attemptCount: 1, nextAttemptAt: null });
    const [req] = r.requests;
    expect(req!.path).toBe('/hook');
    expect(req!.headers['webhook-id']).toBe(messageId);
    expect(req!.headers['x-custom-auth']).toBe('token-123');
    expect(req!.headers['svix-id']).toBeUndefined();
    expect(req!.headers['user-agent']).toMatch(/^Herald\//);
    expect(new StandardWebhook(secret).verify(req!.body, req!.headers as Record<string, string>)).toEqual(payload);
    expect(new SvixWebhook(secret).verify(req!.body, req!.headers as Record<string, string>)).toEqual(payload);
    const [attempt] = await attempts(deliveryIds[0]!);
    expect(attempt).toMatchObject({ status: 0, responseStatus: 200, triggerType: 0, error: null, url: `${r.url}/hook`, endpointId, messageId });

    const svix = await setup(`${r.url}/svix`, { svix: true });
    const second = await h.insertMessage(svix.scope, svix.appId, [svix.endpointId], payload);
    await h.waitFor(finished(second.deliveryIds[0]!), 10_000, 'svix delivery');
    const svixReq = r.requests.find((x) => x.path === '/svix')!;
    expect(svixReq.headers['svix-id']).toBe(second.messageId);
    expect(svixReq.headers['svix-signature']).toBe(svixReq.headers['webhook-signature']);
    const onlySvix = { 'svix-id': svixReq.headers['svix-id'] as string, 'svix-timestamp': svixReq.headers['svix-timestamp'] as string, 'svix-signature': svixReq.headers['svix-signature'] as string };
    expect(new SvixWebhook(svix.secret).verify(svixReq.body, onlySvix)).toEqual(payload);
  });

  it('signs with every active secret during a rotation (and v1a for ed25519), never with an expired one', async () => {
    const r = await receiver();
    const { scope, appId, endpointId, secret: oldSecret } = await setup(r.url);
    const newSecret = generateHmacSecret();
    const expiredSecret = generateHmacSecret();
    const ed = generateEd25519Secret();
    const enc = async (s: string) => new Uint8Array(await h.keys.encrypt(scope, s));
    await h.prisma.endpointSecret.updateMany({ where: { endpointId }, data: { expiresAt: new Date(Date.now() + 3_600_000) } });
    await h.prisma.endpointSecret.createMany({
      data: [
        { id: newId('sec'), tenantId: scope.tenantId, endpointId, kind: 'hmac', secretEnc: await enc(newSecret) },
        { id: newId('sec'), tenantId: scope.tenantId, endpointId, kind: 'hmac', secretEnc: await enc(expiredSecret), expiresAt: new Date(Date.now() - 1000) },
        { id: newId('sec'), tenantId: scope.tenantId, endpointId, kind: 'ed25519', secretEnc: await enc(ed.secret), publicKey: ed.publicKey },
      ],
    });
    const { messageId, deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { rotated: true });
    await h.waitFor(finished(deliveryIds[0]!), 10_000, 'delivery');
    const req = r.requests[0]!;
    const entries = (req.headers['webhook-signature'] as string).split(' ');
    expect(entries.filter((e) => e.startsWith('v1,'))).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(new StandardWebhook(s).verify(req.body, req.headers as Record<string, string>)).toEqual({ rotated: true });
      expect(new SvixWebhook(s).verify(req.body, req.headers as Record<string, string>)).toEqual({ rotated: true });
    }
    expect(() => new StandardWebhook(expiredSecret).verify(req.body, req.headers as Record<string, string>)).toThrow();
    const v1a = entries.find((e) => e.startsWith('v1a,'))!.slice(4);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed.publicKey.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
    const signed = Buffer.from(`${messageId}.${req.headers['webhook-timestamp'] as string}.${req.body}`);
    expect(verify(null, signed, publicKey, Buffer.from(v1a, 'base64'))).toBe(true);
  });

  it('retries failures on the schedule, records every attempt with the body truncated and encrypted', async () => {
    const marker = 'PLAINTEXT-MARKER-7f3a';
    const r = await receiver({ handler: (_req, i) => (i < 2 ? { status: 500, body: marker + 'x'.repeat(100 * 1024) } : { status: 200, body: `fine ${marker}` }) });
    const { scope, appId, endpointId } = await setup(r.url);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { retry: 1 });
    const id = deliveryIds[0]!;

    await h.waitFor(async () => (await delivery(id)).attemptCount === 1, 5_000, 'first attempt');
    const afterFirst = await delivery(id);
    expect(afterFirst.status).toBe('pending');
    // next_attempt_at is where the sweep looks: now + 1 s ± 20 %.
    expect(afterFirst.nextAttemptAt!.getTime() - afterFirst.lastAttemptAt!.getTime()).toBeGreaterThanOrEqual(790);
    expect(afterFirst.nextAttemptAt!.getTime() - afterFirst.lastAttemptAt!.getTime()).toBeLessThanOrEqual(1210);
    expect((await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } })).failingSince).not.toBeNull();

    const d = await h.waitFor(finished(id), 10_000, 'delivery');
    expect(d).toMatchObject({ status: 'success', attemptCount: 3, nextAttemptAt: null });
    const list = await attempts(id);
    expect(list.map((a) => [a.status, a.responseStatus])).toEqual([[2, 500], [2, 500], [0, 200]]);
    const gaps = r.requests.slice(1).map((req, i) => req.at - r.requests[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(750);
    expect((await h.keys.decryptString(scope, list[0]!.responseEnc!)).length).toBe(64 * 1024);
    expect(await h.keys.decryptString(scope, list[2]!.responseEnc!)).toBe(`fine ${marker}`);
    const leaks = await h.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM attempts WHERE position(convert_to(${marker}, 'UTF8') in response_enc) > 0`;
    expect(leaks[0]!.n).toBe(0);
    expect((await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } })).failingSince).toBeNull();
  });

  it("forgets a crypto-shredded tenant's data key, parsed signing keys and endpoint contexts within 5 s", async () => {
    const r = await receiver({ handler: (_req, i) => ({ status: i === 0 ? 500 : 200 }) });
    const { scope, appId, endpointId } = await setup(r.url);
    await h.prisma.endpointSecret.create({ data: { id: newId('sec'), tenantId: scope.tenantId, endpointId, kind: 'ed25519', secretEnc: new Uint8Array(await h.keys.encrypt(scope, generateEd25519Secret().secret)), expiresAt: new Date(Date.now() + 3_600_000) } });
    // The first try fails, so the lane then waits on a timer for the retry, holding its context.
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { shred: 'me' });
    await h.waitFor(async () => (await delivery(deliveryIds[0]!)).attemptCount === 1, 5_000, 'first attempt');
    const contexts = h.app.get(EndpointContextRepository);
    expect(contexts.holdsTenant(scope.tenantId)).toBe(true);
    expect(h.keys.holdsKeyOf(scope.tenantId)).toBe(true);

    // Another process crypto-shreds the tenant (as DELETE /admin/tenants/{id} does).
    await h.prisma.tenant.update({ where: { id: scope.tenantId }, data: { dataKeyWrapped: null, deletedAt: new Date() } });
    const shredAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, shredAt + 5_000 - Date.now()));
    expect(h.keys.holdsKeyOf(scope.tenantId)).toBe(false);
    expect(contexts.holdsTenant(scope.tenantId)).toBe(false);
    expect(h.scheduler.holdsContextOf(scope.tenantId)).toBe(false);
  });

  it('stores an empty response body as NULL, unsealed', async () => {
    const r = await receiver({ handler: (_req, i) => (i === 0 ? { status: 500 } : { status: 204 }) });
    const { scope, appId, endpointId } = await setup(r.url);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { retry: 1 });
    await h.waitFor(finished(deliveryIds[0]!), 10_000, 'delivery');
    const list = await attempts(deliveryIds[0]!);
    expect(list.map((a) => [a.responseStatus, a.responseEnc, a.responseExpunged])).toEqual([
      [500, null, false],
      [204, null, false],
    ]);
  });

  it('marks an exhausted delivery failed and sends failing, exhausted and recovered operational webhooks', async () => {
    const failing = await receiver({ handler: () => ({ status: 503 }) });
    const flaky = await receiver({ handler: (_req, i) => (i < 4 ? { status: 500 } : { status: 204 }) });
    const a = await setup(failing.url, { opWebhooks: true });
    const b = await setup(flaky.url, { opWebhooks: true });
    const [m1, m2] = await Promise.all([
      h.insertMessage(a.scope, a.appId, [a.endpointId], { n: 1 }, { eventId: 'evt-exhaust' }),
      h.insertMessage(b.scope, b.appId, [b.endpointId], { n: 2 }),
    ]);
    const [d1, d2] = await Promise.all([h.waitFor(finished(m1.deliveryIds[0]!), 20_000, 'exhaustion'), h.waitFor(finished(m2.deliveryIds[0]!), 20_000, 'recovery')]);
    expect(d1).toMatchObject({ status: 'failed', attemptCount: 5, nextAttemptAt: null });
    expect(d2).toMatchObject({ status: 'success', attemptCount: 5 });
    expect(failing.requests).toHaveLength(5);

    await opReceiver.waitFor(() => opEvents('message.attempt.exhausted').length >= 1 && opEvents('message.attempt.recovered').length >= 1, 10_000);
    const exhausted = opEvents('message.attempt.exhausted').map((r) => JSON.parse(r.body) as { timestamp: string; data: Record<string, unknown> });
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]!.data).toMatchObject({ appId: a.appId, endpointId: a.endpointId, msgId: m1.messageId, msgEventId: 'evt-exhaust', lastAttempt: { responseStatusCode: 503 } });
    expect(opEvents('message.attempt.failing').map((r) => (JSON.parse(r.body) as { data: { msgId: string } }).data.msgId).sort()).toEqual([m1.messageId, m2.messageId].sort());
    expect((JSON.parse(opEvents('message.attempt.recovered')[0]!.body) as { data: { msgId: string } }).data.msgId).toBe(m2.messageId);
    const sample: ReceivedRequest = opEvents('message.attempt.exhausted')[0]!;
    expect(sample.path).toBe('/ops');
    expect(new StandardWebhook(opSecret).verify(sample.body, sample.headers as Record<string, string>)).toMatchObject({ type: 'message.attempt.exhausted' });
  });

  it('disables the endpoint at once on 410 Gone, audits it, and skips its later deliveries', async () => {
    const r = await receiver({ handler: () => ({ status: 410 }) });
    const { scope, appId, endpointId } = await setup(r.url, { opWebhooks: true });
    const first = await h.insertMessage(scope, appId, [endpointId], { gone: 1 });
    expect(await h.waitFor(finished(first.deliveryIds[0]!), 5_000, 'delivery')).toMatchObject({ status: 'failed', attemptCount: 1 });
    const endpoint = await h.waitFor(async () => {
      const e = await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } });
      return e.disabled ? e : undefined;
    }, 5_000, 'disabled');
    expect(endpoint.disabled).toBe(true);
    expect(endpoint.disabledReason).toMatch(/410/);
    const audit = await h.prisma.auditLogEntry.findMany({ where: { tenantId: scope.tenantId, action: 'endpoint.disabled' } });
    expect(audit).toMatchObject([{ actorType: 'system', targetType: 'endpoint', targetId: endpointId }]);
    await opReceiver.waitFor(() => opEvents('endpoint.disabled').some((e) => (JSON.parse(e.body) as { data: { endpointId: string } }).data.endpointId === endpointId), 5_000);

    const second = await h.insertMessage(scope, appId, [endpointId], { gone: 2 });
    expect(await h.waitFor(finished(second.deliveryIds[0]!), 5_000, 'skip')).toMatchObject({ status: 'skipped', attemptCount: 0 });
    expect(r.requests).toHaveLength(1);
  });

  it('treats a 3xx as a failure and never contacts the redirect target', async () => {
    const target = await receiver();
    const r = await receiver({ handler: (_req, i) => ({ status: i % 2 === 0 ? 302 : 307, headers: { location: i % 2 === 0 ? `${target.url}/stolen` : 'http://169.254.169.254/latest/meta-data' } }) });
    const { scope, appId, endpointId } = await setup(r.url);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { redirect: true });
    await h.waitFor(async () => (await attempts(deliveryIds[0]!)).length >= 2, 5_000, 'two attempts');
    const list = await attempts(deliveryIds[0]!);
    expect(list.slice(0, 2).map((a) => [a.status, a.responseStatus])).toEqual([[2, 302], [2, 307]]);
    expect(target.requests).toHaveLength(0);
    expect(target.connections()).toBe(0);
  });

  it('cuts a receiver that hangs at HERALD_DELIVERY_TIMEOUT_MS and records why', async () => {
    const r = await receiver({ handler: () => ({ hang: true }) });
    const { scope, appId, endpointId } = await setup(r.url);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { hang: true });
    const [attempt] = await h.waitFor(async () => {
      const list = await attempts(deliveryIds[0]!);
      return list.length > 0 ? list : undefined;
    }, 5_000, 'attempt');
    expect(attempt).toMatchObject({ status: 2, responseStatus: 0, error: expect.stringMatching(/timed out/) });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(450);
    expect(attempt!.durationMs).toBeLessThan(1_500);
  });

  it('delivers over TLS to a receiver whose CA is HERALD_DELIVERY_CA_FILE', async () => {
    const r = await receiver({ tls });
    const { scope, appId, endpointId, secret } = await setup(r.url);
    expect(r.url.startsWith('https://')).toBe(true);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { tls: true });
    expect(await h.waitFor(finished(deliveryIds[0]!), 5_000, 'delivery')).toMatchObject({ status: 'success' });
    expect(new StandardWebhook(secret).verify(r.requests[0]!.body, r.requests[0]!.headers as Record<string, string>)).toEqual({ tls: true });
  });

  it('throttles to the endpoint rate across the queue: 20 messages at 5/s all arrive, spread over ≥ 3 s', async () => {
    const r = await receiver();
    const { scope, appId, endpointId } = await setup(r.url, { throttleRate: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(...(await h.insertMessage(scope, appId, [endpointId], { i })).deliveryIds);
    await r.waitFor((reqs) => reqs.length >= 20, 15_000);
    const times = r.requests.map((x) => x.at).sort((x, y) => x - y);
    expect(times[19]! - times[0]!).toBeGreaterThanOrEqual(3_000);
    const rows = await h.prisma.delivery.findMany({ where: { id: { in: ids } } });
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { id: { in: ids }, status: 'success' } })) === 20, 5_000, 'all recorded');
    expect(rows.filter((d) => d.status === 'failed')).toHaveLength(0);
    expect(await h.prisma.attempt.count({ where: { deliveryId: { in: ids } } })).toBe(20);
  });

  it('skips deliveries whose endpoint is disabled or deleted', async () => {
    const r = await receiver();
    const { scope, appId, endpointId } = await setup(r.url);
    const other = await createEndpoint(h.services, scope, appId, { url: r.url });
    await h.prisma.endpoint.update({ where: { id: endpointId }, data: { disabled: true } });
    await h.prisma.endpoint.delete({ where: { id: other.id } });
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId, other.id], { skip: true });
    for (const id of deliveryIds) expect(await h.waitFor(finished(id), 5_000, 'skip')).toMatchObject({ status: 'skipped', attemptCount: 0 });
    expect(r.requests).toHaveLength(0);
  });

  it('records a manual try as trigger type 1 and its scheduled retry as 0', async () => {
    const r = await receiver({ handler: (_req, i) => ({ status: i === 0 ? 500 : 200 }) });
    const { scope, appId, endpointId } = await setup(r.url);
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { manual: true }, { triggerType: 1 });
    expect(await h.waitFor(finished(deliveryIds[0]!), 8_000, 'delivery')).toMatchObject({ status: 'success', attemptCount: 2 });
    expect((await attempts(deliveryIds[0]!)).map((a) => [a.triggerType, a.status])).toEqual([[1, 2], [0, 0]]);
  });

  it('disables endpoints failing for longer than HERALD_ENDPOINT_FAILURE_DISABLE_AFTER_HOURS', async () => {
    const { scope, endpointId } = await setup('http://127.0.0.1:9/unused', { opWebhooks: true });
    const failSince = new Date(Date.now() - 121 * 3_600_000);
    await h.prisma.endpoint.update({ where: { id: endpointId }, data: { failingSince: failSince } });
    const recent = await setup('http://127.0.0.1:9/recent');
    await h.prisma.endpoint.update({ where: { id: recent.endpointId }, data: { failingSince: new Date(Date.now() - 3_600_000) } });
    expect(await h.health.disableLongFailing()).toBe(1);
    expect(await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } })).toMatchObject({ disabled: true, disabledReason: expect.stringMatching(/120 hours/) });
    expect((await h.prisma.endpoint.findUniqueOrThrow({ where: { id: recent.endpointId } })).disabled).toBe(false);
    await opReceiver.waitFor(() => opEvents('endpoint.disabled').some((e) => (JSON.parse(e.body) as { data: { endpointId: string } }).data.endpointId === endpointId), 5_000);
    const event = JSON.parse(opEvents('endpoint.disabled').find((e) => e.body.includes(endpointId))!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: 'endpoint.disabled', data: { endpointId, failSince: failSince.toISOString() } });
    expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
    expect(scope.tenantId).toBeTruthy();
  });

  it('counts outcomes and latencies in the metrics registry', async () => {
    const text = await h.app.get<Registry>(DISPATCHER_METRICS_REGISTRY).metrics();
    expect(text).toMatch(/herald_delivery_outcomes_total\{[^}]*outcome="success"[^}]*\} [1-9]/);
    expect(text).toMatch(/herald_delivery_outcomes_total\{[^}]*outcome="retry"[^}]*\} [1-9]/);
    expect(text).toMatch(/herald_delivery_outcomes_total\{[^}]*outcome="throttled"[^}]*\} [1-9]/);
    expect(text).toMatch(/herald_delivery_attempt_duration_seconds_count\{[^}]*result="2xx"[^}]*\} [1-9]/);
    expect(text).toMatch(/herald_delivery_ingest_to_success_seconds_count\{[^}]*\} [1-9]/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLaneRepository, type ClaimedDelivery } from '@herald/deliveries';
import { TenantKeysService, type TenantScope } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant, startWebhookReceiver, type WebhookReceiver } from '@herald/testing';
import { DispatchService, type SentAttempt } from '../src';
import { EndpointContextRepository } from '../src/endpoint-context.repository';
import { startIdleDispatchHarness, type DispatchHarness } from './harness';

// A message fanned out to several endpoints is decrypted once for all its deliveries, whether
// they are claimed in one go (one payload buffer, read from PostgreSQL once) or lane by lane in
// separate claims; each endpoint still gets the exact bytes.
describe('fan-out payloads', () => {
  let h: DispatchHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await startIdleDispatchHarness();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
  });

  /** A new tenant's app with three endpoints on the receiver, under `/<path><i>`. */
  async function appWithThreeEndpoints(path: string): Promise<{ scope: TenantScope; appId: string; endpoints: { id: string }[] }> {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoints = await Promise.all([0, 1, 2].map((i) => createEndpoint(h.services, scope, app.id, { url: `${receiver.url}/${path}${i}` })));
    return { scope, appId: app.id, endpoints };
  }

  /** One claim over the given lanes (up to 5 deliveries each). */
  const claimLanes = (scope: TenantScope, endpoints: { id: string }[]) =>
    h.app.get(DeliveryLaneRepository, { strict: false }).claim(30_000, 1 << 20, endpoints.map((e) => ({ tenantId: scope.tenantId, endpointId: e.id, count: 5, cap: 10 })));

  /**
   * Sends claimed deliveries through the real DispatchService (`sendAll` decides in what order)
   * and counts the payload decryptions they cause; the attempts' spans are ended.
   */
  async function sendCountingDecryptions(
    scope: TenantScope,
    endpoints: { id: string }[],
    sendAll: (send: (d: ClaimedDelivery) => Promise<SentAttempt>) => Promise<SentAttempt[]>,
  ): Promise<{ sent: SentAttempt[]; decrypted: number }> {
    const contexts = h.app.get(EndpointContextRepository, { strict: false });
    // Loaded first: reading an endpoint decrypts its signing secret, which is not what is counted.
    const context = new Map(await Promise.all(endpoints.map(async (e) => [e.id, (await contexts.get(scope, e.id))!] as const)));
    const keys = h.app.get(TenantKeysService, { strict: false });
    const decrypt = keys.decrypt.bind(keys);
    let decrypted = 0;
    keys.decrypt = (s, sealed) => {
      decrypted += 1;
      return decrypt(s, sealed);
    };
    const dispatch = h.app.get(DispatchService, { strict: false });
    try {
      const sent = await sendAll((d) => dispatch.send(d, context.get(d.endpointId)!));
      for (const s of sent) s.span.end();
      return { sent, decrypted };
    } finally {
      keys.decrypt = decrypt;
    }
  }

  it('shares one ciphertext per message in a claim and opens it once', async () => {
    const { scope, appId, endpoints } = await appWithThreeEndpoints('fan');
    const first = await h.insertMessage(scope, appId, endpoints.map((e) => e.id), { n: 1 }, { wake: false });
    const second = await h.insertMessage(scope, appId, endpoints.map((e) => e.id), { n: 2 }, { wake: false });

    // The rows as PostgreSQL sent them: each payload crosses once, not once per endpoint.
    const lanes = h.app.get(DeliveryLaneRepository, { strict: false });
    const db = (lanes as unknown as { db: { hot: (statement: unknown) => Promise<{ kind: string; payload_enc: Uint8Array | null }[]> } }).db;
    const hot = db.hot.bind(db);
    const sentRows: { kind: string; payload_enc: Uint8Array | null }[] = [];
    db.hot = async (statement) => {
      const rows = await hot(statement);
      sentRows.push(...rows);
      return rows;
    };
    let claimed: ClaimedDelivery[];
    try {
      ({ claimed } = await claimLanes(scope, endpoints));
    } finally {
      db.hot = hot;
    }
    expect(claimed).toHaveLength(6);
    expect(sentRows.filter((r) => r.kind === 'd')).toHaveLength(6);
    expect(sentRows.filter((r) => r.payload_enc !== null)).toHaveLength(2);
    const byMessage = (id: string) => claimed.filter((d) => d.messageId === id);
    expect(new Set(byMessage(first.messageId).map((d) => d.payloadEnc)).size).toBe(1);
    expect(new Set(byMessage(second.messageId).map((d) => d.payloadEnc)).size).toBe(1);
    expect(byMessage(first.messageId)[0]!.payloadEnc).not.toBe(byMessage(second.messageId)[0]!.payloadEnc);

    const { sent, decrypted } = await sendCountingDecryptions(scope, endpoints, (send) => Promise.all(claimed.map(send)));
    expect(sent.every((s) => s.result.ok)).toBe(true);
    expect(decrypted).toBe(2);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as { n: number });
    expect(bodies.map((b) => b.n).sort()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('claims an erased payload as erased for every endpoint, beside a message that has one', async () => {
    const { scope, appId, endpoints } = await appWithThreeEndpoints('erased');
    const erased = await h.insertMessage(scope, appId, endpoints.map((e) => e.id), { n: 4 }, { wake: false });
    const kept = await h.insertMessage(scope, appId, endpoints.map((e) => e.id), { n: 5 }, { wake: false });
    await h.prisma.message.updateMany({ where: { id: erased.messageId }, data: { payloadEnc: null } });

    const { claimed } = await claimLanes(scope, endpoints);
    expect(claimed).toHaveLength(6);
    expect(claimed.filter((d) => d.messageId === erased.messageId).map((d) => d.payloadEnc)).toEqual([null, null, null]);
    expect(claimed.filter((d) => d.messageId === kept.messageId).every((d) => d.payloadEnc !== null)).toBe(true);
  });

  it('opens a message once when its deliveries come in separate claims, one lane at a time', async () => {
    const { scope, appId, endpoints } = await appWithThreeEndpoints('lane');
    const message = await h.insertMessage(scope, appId, endpoints.map((e) => e.id), { n: 3 }, { wake: false });
    const claims: ClaimedDelivery[][] = [];
    for (const e of endpoints) claims.push((await claimLanes(scope, [e])).claimed);
    expect(claims.map((c) => c.length)).toEqual([1, 1, 1]);
    // Three claims, three buffers: the buffer cannot be what ties them together.
    expect(new Set(claims.map((c) => c[0]!.payloadEnc)).size).toBe(3);

    const { sent, decrypted } = await sendCountingDecryptions(scope, endpoints, async (send) => {
      const each: SentAttempt[] = [];
      for (const [d] of claims) each.push(await send(d!));
      return each;
    });
    expect(sent.every((s) => s.result.ok)).toBe(true);
    expect(decrypted).toBe(1);
    expect(sent.map((s) => s.delivery.messageId)).toEqual([message.messageId, message.messageId, message.messageId]);
    const bodies = receiver.requests.filter((r) => r.path.startsWith('/lane')).map((r) => JSON.parse(r.body) as { n: number });
    expect(bodies.map((b) => b.n)).toEqual([3, 3, 3]);
  });
});

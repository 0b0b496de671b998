/**
 * Compile-time contract of the event catalog. Checked by `tsc -p libs/sdk/tsconfig.typetest.json`;
 * never run. Each `@ts-expect-error` must stay an error: if the catalog typing loosened, the
 * directive would be unused and the type test would fail.
 */
import { z } from 'zod';
import { Herald, type MessageOut, type SendResult } from '../index.js';

type Catalog = {
  'invoice.paid': { id: string; amountCents: number };
  'user.created': { userId: string; email?: string };
};

declare const herald: Herald<Catalog>;
const apiKey = 'k';
const baseUrl = 'http://127.0.0.1:8071';

export async function sendChecks(): Promise<void> {
  // Valid calls.
  const sent: MessageOut<{ id: string; amountCents: number }, 'invoice.paid'> = await herald.messages.send('app', 'invoice.paid', { id: 'in_1', amountCents: 500 });
  void sent;
  await herald.messages.send('app', 'user.created', { userId: 'u1' }, { eventId: 'e1', channels: ['eu'], idempotencyKey: 'k1', payloadRetentionPeriod: 30 });

  // @ts-expect-error wrong payload field type (string instead of number)
  await herald.messages.send('app', 'invoice.paid', { id: 'in_1', amountCents: '500' });

  // @ts-expect-error missing payload field
  await herald.messages.send('app', 'invoice.paid', { id: 'in_1' });

  // @ts-expect-error unknown event type
  await herald.messages.send('app', 'invoice.refunded', { id: 'in_1', amountCents: 500 });

  // @ts-expect-error unknown payload field (excess property)
  await herald.messages.send('app', 'invoice.paid', { id: 'in_1', amountCents: 500, note: 'x' });

  // @ts-expect-error the payload of another event
  await herald.messages.send('app', 'user.created', { id: 'in_1', amountCents: 500 });

  // @ts-expect-error unknown send option
  await herald.messages.send('app', 'user.created', { userId: 'u1' }, { retries: 3 });
}

export async function sendManyChecks(): Promise<void> {
  const results: SendResult[] = await herald.messages.sendMany('app', [
    { eventType: 'invoice.paid', payload: { id: 'in_1', amountCents: 1 } },
    { eventType: 'user.created', payload: { userId: 'u1' }, idempotencyKey: 'k' },
  ]);
  for (const result of results) {
    if (result.ok) void result.message.id;
    else void result.error.message;
  }

  await herald.messages.sendMany('app', [
    // @ts-expect-error an item whose payload belongs to another event
    { eventType: 'user.created', payload: { id: 'in_1', amountCents: 1 } },
  ]);

  await herald.messages.sendMany('app', [
    // @ts-expect-error an item with an unknown event type
    { eventType: 'nope', payload: {} },
  ]);
}

export function schemaChecks(): void {
  // Schemas must produce the catalog's payload types.
  new Herald<Catalog>({ apiKey, baseUrl, schemas: { 'invoice.paid': z.object({ id: z.string(), amountCents: z.number().int() }) } });

  // @ts-expect-error schema whose output does not match the catalog
  new Herald<Catalog>({ apiKey, baseUrl, schemas: { 'invoice.paid': z.object({ id: z.number(), amountCents: z.number() }) } });

  // @ts-expect-error schema for an event outside the catalog
  new Herald<Catalog>({ apiKey, baseUrl, schemas: { 'order.shipped': z.object({ orderId: z.string() }) } });
}

export async function inferredCatalogChecks(): Promise<void> {
  // Without an explicit catalog, the schemas define it.
  const inferred = new Herald({ apiKey, baseUrl, schemas: { 'order.shipped': z.object({ orderId: z.string() }) } });
  await inferred.messages.send('app', 'order.shipped', { orderId: 'o1' });

  // @ts-expect-error payload type inferred from the schema
  await inferred.messages.send('app', 'order.shipped', { orderId: 1 });

  // @ts-expect-error event type inferred from the schemas
  await inferred.messages.send('app', 'order.cancelled', { orderId: 'o1' });
}

export async function interfaceCatalogChecks(): Promise<void> {
  // Interfaces (no index signature) are valid catalogs too.
  interface InterfaceCatalog {
    'a.b': { n: number };
  }
  const h = new Herald<InterfaceCatalog>({ apiKey, baseUrl });
  await h.messages.send('app', 'a.b', { n: 1 });
  // @ts-expect-error wrong payload field type through an interface catalog
  await h.messages.send('app', 'a.b', { n: 'one' });
}

export async function untypedChecks(): Promise<void> {
  // Without a catalog: any event name, any object payload.
  const untyped = new Herald({ apiKey, baseUrl });
  await untyped.messages.send('app', 'anything.at.all', { free: ['form'] });
  // @ts-expect-error a payload must be a JSON object
  await untyped.messages.send('app', 'anything.at.all', 'a string');
}

/**
 * Producer example: creates (or reuses) an application and an endpoint pointing at the
 * receiver example, then sends typed events, one by one and in a batch.
 *
 *   HERALD_URL      API base URL (default http://127.0.0.1:8071)
 *   HERALD_API_KEY  tenant API key (required)
 *   RECEIVER_URL    where Herald should deliver (default http://127.0.0.1:8090/webhook)
 */
import { Herald, HeraldApiError, HeraldError } from '../libs/sdk/src/index.js';

// The event catalog: event names and their payload types, checked at compile time.
type Catalog = {
  'invoice.paid': { invoiceId: string; amountCents: number; currency: string };
  'customer.created': { customerId: string; email: string };
};

const apiKey = process.env['HERALD_API_KEY'];
if (!apiKey) {
  console.error('Set HERALD_API_KEY to a tenant API key.');
  process.exit(1);
}
const baseUrl = process.env['HERALD_URL'] ?? 'http://127.0.0.1:8071';
const receiverUrl = process.env['RECEIVER_URL'] ?? 'http://127.0.0.1:8090/webhook';

const herald = new Herald<Catalog>({ apiKey, baseUrl, retries: 3, timeoutMs: 10_000 });
const run = Date.now().toString(36);

try {
  // Idempotent set-up: the uids make re-running the example reuse the same objects.
  const app = await herald.applications.getOrCreate({ name: 'Example customer', uid: 'example-customer' });
  const endpoint = await findOrCreateEndpoint(app.id);
  const { key } = await herald.endpoints.getSecret(app.id, endpoint.id);
  console.log(`application ${app.id}, endpoint ${endpoint.id} -> ${endpoint.url}`);
  console.log(`endpoint secret: ${key}`);
  console.log(`  (start the receiver with HERALD_WEBHOOK_SECRET=${key})`);

  const message = await herald.messages.send(
    app.id,
    'invoice.paid',
    { invoiceId: `in_${run}`, amountCents: 4200, currency: 'EUR' },
    { eventId: `invoice-paid-${run}` },
  );
  console.log(`sent ${message.eventType} as ${message.id}`);

  const results = await herald.messages.sendMany(
    app.id,
    Array.from({ length: 5 }, (_, i) => ({
      eventType: 'customer.created' as const,
      payload: { customerId: `cus_${run}_${i}`, email: `customer${i}@example.com` },
    })),
    { concurrency: 2 },
  );
  for (const [i, result] of results.entries()) {
    console.log(result.ok ? `batch item ${i}: sent as ${result.message.id}` : `batch item ${i}: failed: ${result.error.message}`);
  }
} catch (err) {
  if (err instanceof HeraldError) console.error(`${err.name}: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
} finally {
  await herald.close();
}

async function findOrCreateEndpoint(appId: string) {
  try {
    return await herald.endpoints.get(appId, 'example-receiver');
  } catch (err) {
    if (!(err instanceof HeraldApiError && err.status === 404)) throw err;
    return herald.endpoints.create(appId, { uid: 'example-receiver', url: receiverUrl, description: 'examples/receiver.ts' });
  }
}

/**
 * Sends one signed webhook to the receiver example, so it can be tried without a running
 * Herald. Uses the same HERALD_WEBHOOK_SECRET as the receiver; pass `--tamper` to change the
 * body after signing and watch the receiver refuse it.
 *
 *   RECEIVER_URL  default http://127.0.0.1:8090/webhook
 */
import { randomUUID } from 'node:crypto';
import { signWebhookHeaders } from '../libs/sdk/src/webhooks.js';

const secret = process.env['HERALD_WEBHOOK_SECRET'];
if (!secret) {
  console.error('Set HERALD_WEBHOOK_SECRET to the secret the receiver uses (whsec_… or, for v1a, a whsk_… signing key).');
  process.exit(1);
}
const url = process.env['RECEIVER_URL'] ?? 'http://127.0.0.1:8090/webhook';

const body = JSON.stringify({ type: 'invoice.paid', invoiceId: 'in_test', amountCents: 4200, currency: 'EUR' });
const headers = signWebhookHeaders({ secret, id: `msg_${randomUUID()}`, rawBody: body });
const sent = process.argv.includes('--tamper') ? body.replace('4200', '1') : body;

const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: sent });
console.log(`${res.status} ${await res.text()}`);

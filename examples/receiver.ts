/**
 * Receiver example: a plain node:http server on 127.0.0.1 that verifies every webhook before
 * trusting it.
 *
 *   HERALD_WEBHOOK_SECRET      the endpoint's whsec_… secret, or
 *   HERALD_WEBHOOK_PUBLIC_KEY  a whpk_… ed25519 public key
 *   PORT                       default 8090
 */
import http from 'node:http';
import { RawBodyError, WebhookVerificationError, readRawBody, verifyWebhookDetailed } from '../libs/sdk/src/webhooks.js';

const secret = process.env['HERALD_WEBHOOK_SECRET'];
const publicKey = process.env['HERALD_WEBHOOK_PUBLIC_KEY'];
if (!secret && !publicKey) {
  console.error('Set HERALD_WEBHOOK_SECRET (whsec_…) or HERALD_WEBHOOK_PUBLIC_KEY (whpk_…).');
  process.exit(1);
}
const port = Number(process.env['PORT'] ?? 8090);

// Herald retries until it gets a 2xx, so the same message can arrive twice: webhook-id
// identifies it across attempts. A real receiver would keep this in its database.
const seen = new Set<string>();

const server = http.createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/webhook') {
    res.writeHead(404).end();
    return;
  }
  try {
    const rawBody = await readRawBody(req);
    const { id, timestamp, payload } = verifyWebhookDetailed({ secret, publicKey, headers: req.headers, rawBody });
    if (seen.has(id)) {
      console.log(`${id}: duplicate delivery, already handled`);
    } else {
      seen.add(id);
      console.log(`${id} (signed ${timestamp.toISOString()}):`, JSON.stringify(payload));
    }
    res.writeHead(204).end();
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      console.warn(`rejected: ${err.reason}: ${err.message}`);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: err.reason }));
    } else if (err instanceof RawBodyError) {
      res.writeHead(err.statusCode, { 'content-type': 'application/json' }).end(JSON.stringify({ code: err.reason }));
    } else {
      console.error(err);
      res.writeHead(500).end();
    }
  }
});

server.listen(port, '127.0.0.1', () => console.log(`receiver listening on http://127.0.0.1:${port}/webhook`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
  });
}

import http from 'node:http';

/**
 * The benchmark's webhook receiver, in its own process so its CPU is not the sender's.
 * Answers 204 at once and records, per arrival, the ingest→arrival latency from the
 * `sentAt` (ms epoch) the bench puts in every payload. The parent asks for stats over IPC.
 * Requests to paths under /hang/ are accepted and never answered (the fairness phase's dead
 * endpoints); they are counted apart and never in rates or latencies.
 */
interface Stats {
  /** Every arrival, duplicates included. */
  count: number;
  /** Distinct (webhook-id, endpoint path) pairs: what throughput figures count. */
  unique: number;
  /** Epoch ms of the first and the last arrival of a new unique pair (0 when none). */
  firstAt: number;
  lastAt: number;
  /** Requests to /hang/… received, and held open now. */
  hung: number;
  holding: number;
}

let count = 0;
let hung = 0;
const held = new Set<http.ServerResponse>();
const seen = new Set<string>();
let latencies: number[] = [];
let firstAt = 0;
let lastAt = 0;

const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/hang/')) {
    hung += 1;
    held.add(res);
    res.on('close', () => held.delete(res));
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    count += 1;
    const id = req.headers['webhook-id'];
    const key = `${typeof id === 'string' ? id : ''}${req.url ?? ''}`;
    // Duplicates (at-least-once redeliveries) count in `count` only, never in rates or latencies.
    if (typeof id === 'string' && !seen.has(key)) {
      seen.add(key);
      if (firstAt === 0) firstAt = now;
      lastAt = now;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sentAt?: number };
        if (typeof body.sentAt === 'number' && body.sentAt > 0) latencies.push(now - body.sentAt);
      } catch (err) {
        process.stderr.write(`receiver: unparsable body: ${String(err)}\n`);
      }
    }
    res.statusCode = 204;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stats') {
    const stats: Stats = { count, unique: seen.size, firstAt, lastAt, hung, holding: held.size };
    process.send?.({ cmd: 'stats', stats });
  } else if (msg.cmd === 'latencies') {
    process.send?.({ cmd: 'latencies', latencies });
  } else if (msg.cmd === 'reset') {
    count = 0;
    hung = 0;
    seen.clear();
    latencies = [];
    firstAt = 0;
    lastAt = 0;
    process.send?.({ cmd: 'reset' });
  } else if (msg.cmd === 'stop') {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ cmd: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});

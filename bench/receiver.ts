import http from 'node:http';

/**
 * The benchmark's webhook receiver, in its own process so its CPU is not the sender's.
 * Answers 204 at once and records, per arrival, the ingest→arrival latency from the
 * `sentAt` (ms epoch) the bench puts in every payload. The parent asks for stats over IPC.
 */
interface Stats {
  count: number;
  unique: number;
  latencies: number[];
}

let count = 0;
const seen = new Set<string>();
let latencies: number[] = [];

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    count += 1;
    const id = req.headers['webhook-id'];
    const endpoint = req.url ?? '';
    if (typeof id === 'string') seen.add(`${id}${endpoint}`);
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sentAt?: number };
      if (typeof body.sentAt === 'number' && body.sentAt > 0) latencies.push(now - body.sentAt);
    } catch (err) {
      process.stderr.write(`receiver: unparsable body: ${String(err)}\n`);
    }
    res.statusCode = 204;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stats') {
    const stats: Stats = { count, unique: seen.size, latencies };
    process.send?.({ cmd: 'stats', stats });
  } else if (msg.cmd === 'reset') {
    count = 0;
    seen.clear();
    latencies = [];
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

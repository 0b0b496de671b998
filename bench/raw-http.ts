import { Pool } from 'undici';

/**
 * The raw ceiling: undici keep-alive POSTs of the same 1 KiB body straight to the receiver,
 * at the dispatcher's concurrency, for a fixed time. Prints `{requestsPerSecond, requests, cpuMs}`
 * as JSON: `cpuMs` is this process's CPU (every thread) over the requests, start-up excluded.
 */
async function main(): Promise<void> {
  const [url, concurrencyArg, secondsArg] = process.argv.slice(2);
  if (!url) throw new Error('usage: raw-http <url> <concurrency> <seconds>');
  const concurrency = Number(concurrencyArg ?? 50);
  const seconds = Number(secondsArg ?? 5);
  const body = JSON.stringify({ sentAt: 0, data: 'x'.repeat(1000) });
  const origin = new URL(url);
  const pool = new Pool(origin.origin, { connections: concurrency, pipelining: 1 });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const res = await pool.request({ path: `${origin.pathname}raw`, method: 'POST', body, headers: { 'content-type': 'application/json' } });
        await res.body.dump();
        done += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await pool.close();
  process.stdout.write(`${JSON.stringify({ requestsPerSecond: done / elapsed, requests: done, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

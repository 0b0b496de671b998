import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { ConfigModule, loadConfig } from '@herald/config';
import { TenancyModule, SYSTEM_AUDIT_CONTEXT, TenantProvisioningService } from '@herald/tenancy';
import { DbModule, ensureDatabase, newId, runMigrations } from '@herald/db';
import { DataRetentionModule, RetentionService } from '@herald/retention';

/**
 * Retention purge throughput: `npm run build && node dist/bench/retention-purge.js [N]`
 * (default 200,000). In a throwaway database, inserts N messages whose payloads have expired
 * (each with one delivery and one attempt), then times two retention runs: erasing the N
 * payloads, and deleting the N messages (+ deliveries + attempts) past a shortened metadata
 * retention. Prints rows/s for each. Nothing else runs meanwhile, so this is the purge's own
 * rate, not its effect on delivery latency (that needs the load benchmark running alongside).
 */
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    server: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432' },
    'batch-size': { type: 'string', default: '2000' },
    'keep-db': { type: 'boolean', default: false },
  },
});
const N = Number(positionals[0] ?? 200_000);
if (!Number.isInteger(N) || N <= 0) throw new Error('N must be a positive integer');
const dbName = `herald_bench_retention_${Date.now().toString(36)}`;
const databaseUrl = `${args.server}/${dbName}`;

async function main(): Promise<void> {
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);
  const config = loadConfig({
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    HERALD_RETENTION_BATCH_SIZE: args['batch-size'],
    HERALD_LOG_LEVEL: 'warn',
  });

  @Module({ imports: [ConfigModule.forRoot(config), DbModule, TenancyModule, DataRetentionModule] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    const { tenant } = await app.get(TenantProvisioningService).create('retention bench', SYSTEM_AUDIT_CONTEXT);
    const appId = newId('app');
    const endpointId = newId('ep');
    await sql.query(`INSERT INTO applications (id, tenant_id, name) VALUES ($1, $2, 'bench')`, [appId, tenant.id]);
    await sql.query(`INSERT INTO endpoints (id, tenant_id, app_id, url) VALUES ($1, $2, $3, 'https://receiver.example/bench')`, [endpointId, tenant.id, appId]);

    const t0 = performance.now();
    // 10 days old, expired yesterday; ~256-byte stand-in ciphertexts (the purge never reads them).
    await sql.query(
      `INSERT INTO messages (id, tenant_id, app_id, event_type, payload_enc, payload_size, payload_expires_at, created_at)
       SELECT 'msg_bench' || lpad(i::text, 10, '0'), $1, $2, 'bench.event', decode(repeat(md5(i::text), 8), 'hex'), 256,
              now() - interval '1 day' - i * interval '1 millisecond', now() - interval '10 days' - i * interval '1 millisecond'
       FROM generate_series(1, $3::int) AS i`,
      [tenant.id, appId, N],
    );
    await sql.query(
      `INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, created_at, updated_at)
       SELECT 'dlv_bench' || lpad(i::text, 10, '0'), $1, $2, 'msg_bench' || lpad(i::text, 10, '0'), $3, 'success',
              now() - interval '10 days' - i * interval '1 millisecond', now() - interval '10 days'
       FROM generate_series(1, $4::int) AS i`,
      [tenant.id, appId, endpointId, N],
    );
    await sql.query(
      `INSERT INTO attempts (id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status,
                             response_enc, duration_ms, trigger_type, created_at)
       SELECT 'atmpt_bench' || lpad(i::text, 10, '0'), $1, $2, 'msg_bench' || lpad(i::text, 10, '0'), $3, 'dlv_bench' || lpad(i::text, 10, '0'),
              'https://receiver.example/bench', 0, 200, decode(md5(i::text), 'hex'), 10, 0, now() - interval '10 days' - i * interval '1 millisecond'
       FROM generate_series(1, $4::int) AS i`,
      [tenant.id, appId, endpointId, N],
    );
    await sql.query('VACUUM ANALYZE messages, deliveries, attempts');
    const insertSeconds = (performance.now() - t0) / 1000;
    const plan = await sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM messages WHERE tenant_id = $1 AND payload_enc IS NOT NULL AND payload_expires_at < now() ORDER BY payload_expires_at LIMIT 2000 FOR UPDATE SKIP LOCKED`,
      [tenant.id],
    );

    const retention = app.get(RetentionService);
    const erase = await timed(() => retention.run({ tenantId: tenant.id }));
    if (erase.result.totals.payloadsErased !== N) throw new Error(`expected ${N} payloads erased, got ${erase.result.totals.payloadsErased}`);

    await sql.query(`UPDATE tenant_settings SET metadata_retention_days = 5 WHERE tenant_id = $1`, [tenant.id]);
    const del = await timed(() => retention.run({ tenantId: tenant.id }));
    const t = del.result.totals;
    if (t.messagesDeleted !== N || t.deliveriesDeleted !== N || t.attemptsDeleted !== N) throw new Error(`unexpected deletion counts ${JSON.stringify(t)}`);

    const rate = (rows: number, seconds: number) => Math.round(rows / seconds);
    process.stdout.write(
      [
        `retention purge benchmark — N = ${N.toLocaleString('en')} messages, batch size ${config.retention.batchSize}`,
        `  setup (generate_series insert + VACUUM ANALYZE): ${insertSeconds.toFixed(1)} s`,
        `  expiry candidate plan: ${plan.rows.map((r) => r['QUERY PLAN'].trim()).join(' | ')}`,
        `  erase expired payloads:   ${N} rows in ${erase.seconds.toFixed(2)} s = ${rate(N, erase.seconds).toLocaleString('en')} rows/s`,
        `  delete past metadata:     ${N} messages + ${N} deliveries + ${N} attempts in ${del.seconds.toFixed(2)} s = ` +
          `${rate(N, del.seconds).toLocaleString('en')} messages/s (${rate(3 * N, del.seconds).toLocaleString('en')} rows/s)`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({ n: N, batchSize: config.retention.batchSize, eraseRowsPerSecond: rate(N, erase.seconds), deleteMessagesPerSecond: rate(N, del.seconds), deleteRowsPerSecond: rate(3 * N, del.seconds) })}\n`,
    );
  } finally {
    await sql.end();
    await app.close();
    if (!args['keep-db']) await dropDatabase(dbName);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - start) / 1000 };
}

async function dropDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: `${args.server}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});

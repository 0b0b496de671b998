import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, dropTestDatabase, testConfig } from '@herald/testing';
import { DispatcherModule } from '../src/dispatcher.module';
import { MetricsServer } from '@herald/observability';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dispatcher wiring and /metrics', () => {
  let app: INestApplicationContext;
  let db: { url: string; name: string };
  let port: number;

  beforeAll(async () => {
    // A database of its own: the dispatcher's sweep reads every tenant's deliveries.
    db = await createTestDatabase();
    port = await freePort();
    const config = testConfig({
      DATABASE_URL: db.url,
      HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-metrics-${randomBytes(4).toString('hex')}`,
      HERALD_DISPATCHER_METRICS_PORT: String(port),
      HOST: '127.0.0.1',
    });
    app = await NestFactory.createApplicationContext(DispatcherModule.forRoot(config), { logger: ['error', 'warn'] });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    if (db) await dropTestDatabase(db.name);
  });

  it('boots the whole dispatcher and serves Prometheus metrics on HOST:HERALD_DISPATCHER_METRICS_PORT', async () => {
    expect(app.get(MetricsServer).port).toBe(port);
    const res = await request(`http://127.0.0.1:${port}/metrics`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = await res.body.text();
    expect(text).toContain('# TYPE herald_delivery_outcomes_total counter');
    expect(text).toContain('herald_delivery_attempt_duration_seconds');
    expect(text).toContain('herald_delivery_ingest_to_success_seconds');
    expect(text).toContain('process_cpu_user_seconds_total');
    // Backlog gauges, read from PostgreSQL at scrape time (nothing due here), and the scheduler's own.
    expect(text).toMatch(/herald_deliveries_due\{[^}]*\} 0/);
    expect(text).toMatch(/herald_deliveries_in_flight\{[^}]*\} 0/);
    expect(text).toMatch(/herald_delivery_oldest_due_age_seconds\{[^}]*\} 0/);
    expect(text).toMatch(/herald_dispatcher_in_flight\{[^}]*\} 0/);
    expect(text).toContain('# TYPE herald_endpoint_circuit_open gauge');
    const missing = await request(`http://127.0.0.1:${port}/other`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });
});

import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { Redis } from 'ioredis';
import { deleteRedisKeys } from '@herald/queue';
import { createTestDatabase, dropTestDatabase } from './test-database';

// eslint-disable-next-line no-restricted-properties -- test harness, not application config
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * One fresh database per test run, created and migrated by the production migration runner;
 * dropped afterwards. Test files share it and isolate themselves by creating their own
 * tenants. A Redis key prefix per run keeps queues apart from a running `npm start`; specs
 * that need a prefix of their own start it with the run's, so the keys under all of them
 * (retention's repeatable job and the heartbeats of the processes they start never expire)
 * are deleted with the database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { url, name } = await createTestDatabase();
  const queuePrefix = `herald-test-${name}`;
  project.provide('databaseUrl', url);
  project.provide('queuePrefix', queuePrefix);
  return async () => {
    await dropTestDatabase(name);
    await deleteKeysStartingWith(queuePrefix);
  };
}

async function deleteKeysStartingWith(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await deleteRedisKeys(redis, `${prefix}*`);
  } finally {
    redis.disconnect();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    queuePrefix: string;
  }
}

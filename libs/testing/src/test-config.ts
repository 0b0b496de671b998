import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type HeraldConfig } from '@herald/config';

/**
 * A config pointing at this run's database and Redis prefix. Overrides use the environment
 * variable names, so tests exercise the same parsing as production.
 */
export function testConfig(overrides: Record<string, string> = {}): HeraldConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    HERALD_QUEUE_PREFIX: inject('queuePrefix'),
    HERALD_LOG_LEVEL: 'warn',
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
    HERALD_ENDPOINT_HTTPS_ONLY: 'false',
    ...overrides,
  });
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_MASTER_KEYS = `test1:${randomBytes(32).toString('base64')}`;

/** The URL of a single-server Redis config (the machine's Redis in tests), for child processes and relays. */
export function singleRedisUrl(config: HeraldConfig): string {
  const { connection } = config.redis;
  if (connection.mode !== 'single') throw new Error(`expected a single Redis server, got ${connection.mode}`);
  return connection.url;
}

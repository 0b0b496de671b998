import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskConfig } from './config';
import { envSchema } from './config.schema';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('loadConfig', () => {
  it('starts with development defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.api.port).toBe(8071);
    expect(config.db.url).toBe('postgresql://postgres:postgres@127.0.0.1:5432/herald');
    expect(config.delivery.retryScheduleSeconds).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(config.delivery.httpsOnly).toBe(false);
    expect(config.api.maxPayloadBytes).toBe(1048576);
    expect(config.security.masterKeys).toHaveLength(1);
    expect(config.api.webUiDir).toBe(resolve('dist/console'));
  });

  it('parses every variable into the structured config', () => {
    const config = loadConfig({
      PORT: '9000',
      HERALD_RETRY_SCHEDULE: '1, 2,3',
      HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
      HERALD_TRUST_PROXY: '10.0.0.0/8',
      HERALD_ENDPOINT_HTTPS_ONLY: 'true',
      HERALD_MASTER_KEYS: `new:${KEY},old:${Buffer.alloc(32, 2).toString('base64')}`,
      HERALD_API_RATE_LIMIT: '50',
      HERALD_AUTH_FAILURE_LIMIT: '7',
      HERALD_WEB_UI_DIR: '/srv/herald-ui',
    });
    expect(config.api.port).toBe(9000);
    expect(config.delivery.retryScheduleSeconds).toEqual([1, 2, 3]);
    expect(config.delivery.allowedCidrs).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.api.trustProxy).toEqual(['10.0.0.0/8']);
    expect(config.delivery.httpsOnly).toBe(true);
    expect(config.security.masterKeys.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(config.api.rateLimitPerSecond).toBe(50);
    expect(config.api.authFailuresPerMinute).toBe(7);
    expect(config.api.webUiDir).toBe('/srv/herald-ui');
  });

  it.each([
    ['PORT', 'eighty', /PORT="eighty": expected a number/],
    ['HERALD_AUTH_FAILURE_LIMIT', '0', /HERALD_AUTH_FAILURE_LIMIT/],
    ['HERALD_RETRY_SCHEDULE', '5,soon', /HERALD_RETRY_SCHEDULE/],
    ['HERALD_DELIVERY_ALLOWED_CIDRS', 'localhost', /HERALD_DELIVERY_ALLOWED_CIDRS.*CIDR/],
    ['HERALD_ENDPOINT_HTTPS_ONLY', 'yes', /HERALD_ENDPOINT_HTTPS_ONLY.*true or false/],
    ['HERALD_MASTER_KEYS', 'k1:c2hvcnQ=', /HERALD_MASTER_KEYS=\(secret\).*32 bytes/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL/],
  ])('names the variable and what was expected: %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads the dispatcher variables: extra CA file and metrics port', () => {
    expect(loadConfig({}).delivery).toMatchObject({ caFile: undefined, metricsPort: 9465 });
    expect(loadConfig({ HERALD_DELIVERY_CA_FILE: '/etc/herald/ca.pem', HERALD_DISPATCHER_METRICS_PORT: '0' }).delivery).toMatchObject({ caFile: '/etc/herald/ca.pem', metricsPort: 0 });
    expect(() => loadConfig({ HERALD_DISPATCHER_METRICS_PORT: '70000' })).toThrow(/HERALD_DISPATCHER_METRICS_PORT/);
  });

  it('requires the admin token and master keys in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/HERALD_ADMIN_TOKEN: required[\s\S]*HERALD_MASTER_KEYS: required/);
    const config = loadConfig({ NODE_ENV: 'production', HERALD_ADMIN_TOKEN: 'x'.repeat(32), HERALD_MASTER_KEYS: `k1:${KEY}` });
    expect(config.delivery.httpsOnly).toBe(true);
  });

  it('masks secrets for logging', () => {
    const masked = JSON.stringify(maskConfig(loadConfig({ HERALD_ADMIN_TOKEN: 'super-secret-operator-token', DATABASE_URL: 'postgresql://u:pw@h:5432/d' })));
    expect(masked).not.toContain('super-secret-operator-token');
    expect(masked).not.toContain(':pw@');
  });

  describe('Redis topology', () => {
    it('uses REDIS_URL (one server) by default, with the prefix as given', () => {
      const config = loadConfig({ REDIS_URL: 'redis://:pw@10.0.0.5:6380/2', HERALD_QUEUE_PREFIX: 'acme' });
      expect(config.redis).toEqual({ connection: { mode: 'single', url: 'redis://:pw@10.0.0.5:6380/2' }, queuePrefix: 'acme' });
      expect(loadConfig({}).redis.connection).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    });

    it('follows a Sentinel master: sentinels, master name, passwords; the prefix stays as given', () => {
      const config = loadConfig({
        HERALD_REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380,[::1]:26381',
        HERALD_REDIS_SENTINEL_MASTER: 'herald-main',
        HERALD_REDIS_PASSWORD: 'data-pw',
        HERALD_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      });
      expect(config.redis).toEqual({
        connection: {
          mode: 'sentinel',
          sentinels: [
            { host: 'sentinel-a', port: 26379 },
            { host: '10.0.0.7', port: 26380 },
            { host: '::1', port: 26381 },
          ],
          masterName: 'herald-main',
          password: 'data-pw',
          sentinelPassword: 'sentinel-pw',
        },
        queuePrefix: 'herald',
      });
    });

    it('on a cluster, hash-tags the prefix so every Herald key shares one slot', () => {
      const config = loadConfig({ HERALD_REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001', HERALD_QUEUE_PREFIX: 'acme' });
      expect(config.redis).toEqual({
        connection: { mode: 'cluster', nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }], password: undefined },
        queuePrefix: '{acme}',
      });
    });

    it.each([
      [{ HERALD_REDIS_SENTINELS: 'a:1', HERALD_REDIS_SENTINEL_MASTER: 'm', HERALD_REDIS_CLUSTER_NODES: 'b:2' }, /HERALD_REDIS_SENTINELS and HERALD_REDIS_CLUSTER_NODES: set one of them/],
      [{ HERALD_REDIS_CLUSTER_NODES: 'b:2', REDIS_URL: 'redis://127.0.0.1:6379' }, /REDIS_URL: not used with HERALD_REDIS_CLUSTER_NODES/],
      [{ HERALD_REDIS_SENTINELS: 'a:1', HERALD_REDIS_SENTINEL_MASTER: 'm', REDIS_URL: 'redis://h:6379' }, /REDIS_URL: not used with HERALD_REDIS_SENTINELS/],
      [{ HERALD_REDIS_SENTINELS: 'a:1' }, /HERALD_REDIS_SENTINEL_MASTER: required with HERALD_REDIS_SENTINELS/],
      [{ HERALD_REDIS_SENTINEL_MASTER: 'm' }, /HERALD_REDIS_SENTINEL_MASTER: only used with HERALD_REDIS_SENTINELS/],
      [{ HERALD_REDIS_CLUSTER_NODES: 'b:2', HERALD_REDIS_SENTINEL_PASSWORD: 'x' }, /HERALD_REDIS_SENTINEL_PASSWORD: only used with HERALD_REDIS_SENTINELS/],
      [{ HERALD_REDIS_PASSWORD: 'x' }, /HERALD_REDIS_PASSWORD: only used with .*put it in the URL/],
      [{ HERALD_REDIS_SENTINELS: 'a', HERALD_REDIS_SENTINEL_MASTER: 'm' }, /HERALD_REDIS_SENTINELS="a": expected host:port entries/],
      [{ HERALD_REDIS_CLUSTER_NODES: 'b:2,c:70000' }, /HERALD_REDIS_CLUSTER_NODES=.*expected host:port entries.*"c:70000"/],
      [{ HERALD_REDIS_CLUSTER_NODES: ' , ' }, /HERALD_REDIS_CLUSTER_NODES=.*at least one host:port/],
      [{ HERALD_REDIS_SENTINELS: 'a:1', HERALD_REDIS_SENTINEL_MASTER: 'bad name' }, /HERALD_REDIS_SENTINEL_MASTER=.*master name/],
    ])('refuses contradictory or malformed Redis settings: %j', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    });

    it('masks Redis passwords, in the logged config and in error messages', () => {
      const sentinel = JSON.stringify(
        maskConfig(loadConfig({ HERALD_REDIS_SENTINELS: 'a:1', HERALD_REDIS_SENTINEL_MASTER: 'm', HERALD_REDIS_PASSWORD: 'data-secret', HERALD_REDIS_SENTINEL_PASSWORD: 'sentinel-secret' })),
      );
      expect(sentinel).not.toContain('data-secret');
      expect(sentinel).not.toContain('sentinel-secret');
      expect(sentinel).toContain('"masterName":"m"');
      const cluster = JSON.stringify(maskConfig(loadConfig({ HERALD_REDIS_CLUSTER_NODES: 'b:2', HERALD_REDIS_PASSWORD: 'cluster-secret' })));
      expect(cluster).not.toContain('cluster-secret');
      expect(JSON.stringify(maskConfig(loadConfig({ REDIS_URL: 'redis://:url-secret@h:6379' })))).not.toContain('url-secret');
      const refusal = (() => {
        try {
          loadConfig({ HERALD_REDIS_SENTINEL_PASSWORD: 'leaky-secret' });
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
        return 'accepted';
      })();
      expect(refusal).toMatch(/HERALD_REDIS_SENTINEL_PASSWORD: only used with/);
      expect(refusal).not.toContain('leaky-secret');
    });
  });
});

describe('background task settings', () => {
  it('default to a 1 s poll, a 30 s lease and steps of 500 rows, and refuse a zero lease', () => {
    expect(loadConfig({}).tasks).toEqual({ pollMs: 1000, leaseSeconds: 30, batchSize: 500, batchPauseMs: 0 });
    expect(loadConfig({ HERALD_TASK_BATCH_SIZE: '2', HERALD_TASK_BATCH_PAUSE_MS: '200' }).tasks).toMatchObject({ batchSize: 2, batchPauseMs: 200 });
    expect(() => loadConfig({ HERALD_TASK_LEASE_SECONDS: '0' })).toThrow(/HERALD_TASK_LEASE_SECONDS/);
  });
});

describe('README configuration table', () => {
  it('names every setting the configuration schema reads', () => {
    const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');
    // NODE_ENV is Node's own.
    const missing = Object.keys(envSchema.shape).filter((name) => name !== 'NODE_ENV' && !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});

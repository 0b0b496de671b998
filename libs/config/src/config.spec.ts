import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskConfig } from './config';

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
      HERALD_WEB_UI_DIR: '/srv/herald-ui',
    });
    expect(config.api.port).toBe(9000);
    expect(config.delivery.retryScheduleSeconds).toEqual([1, 2, 3]);
    expect(config.delivery.allowedCidrs).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.api.trustProxy).toEqual(['10.0.0.0/8']);
    expect(config.delivery.httpsOnly).toBe(true);
    expect(config.security.masterKeys.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(config.api.rateLimitPerSecond).toBe(50);
    expect(config.api.webUiDir).toBe('/srv/herald-ui');
  });

  it.each([
    ['PORT', 'eighty', /PORT="eighty": expected a number/],
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
});

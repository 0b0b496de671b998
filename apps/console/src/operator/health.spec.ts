import { describe, expect, it } from 'vitest';
import { healthView } from './health';

describe('healthView', () => {
  it('reads the JSON report (dependencies and worker counts)', () => {
    expect(healthView(200, { status: 'ok', database: 'ok', redis: 'ok', workers: { dispatcher: 2, retention: 1 } })).toEqual({
      healthy: true,
      status: 200,
      checks: [
        { name: 'database', ok: true },
        { name: 'redis', ok: true },
      ],
      workers: [
        { name: 'dispatcher', count: 2 },
        { name: 'retention', count: 1 },
      ],
    });
  });

  it('is unhealthy on 503 and names the failing dependency; nested {status} checks count too', () => {
    const v = healthView(503, { status: 'error', database: { status: 'error' }, redis: 'ok' });
    expect(v.healthy).toBe(false);
    expect(v.checks).toEqual([
      { name: 'database', ok: false },
      { name: 'redis', ok: true },
    ]);
  });

  it('accepts a bare 204 (no report)', () => {
    expect(healthView(204, undefined)).toEqual({ healthy: true, status: 204, checks: [], workers: [] });
  });
});

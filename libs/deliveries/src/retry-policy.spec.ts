import { describe, expect, it } from 'vitest';
import { circuitProbeDelayMs, decideRetry, internalErrorBackoffMs } from './retry-policy';

const SCHEDULE = [5, 300, 1800];
const mid = (): number => 0.5;

describe('decideRetry', () => {
  it('follows the schedule: delay i = schedule[i-1], then exhausted', () => {
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 500 }, mid)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(decideRetry(2, SCHEDULE, { kind: 'network' }, mid)).toEqual({ kind: 'retry', delayMs: 300_000 });
    expect(decideRetry(3, SCHEDULE, { kind: 'refused' }, mid)).toEqual({ kind: 'retry', delayMs: 1_800_000 });
    expect(decideRetry(4, SCHEDULE, { kind: 'status', status: 500 }, mid)).toEqual({ kind: 'exhausted' });
  });

  it('jitters by ±20 %', () => {
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 500 }, () => 0)).toEqual({ kind: 'retry', delayMs: 4_000 });
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 500 }, () => 0.999999)).toEqual({ kind: 'retry', delayMs: 6_000 });
  });

  it('treats 410 Gone as final at once', () => {
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 410 }, mid)).toEqual({ kind: 'gone' });
  });

  it('honours Retry-After on 429/503 within 4× the step and an hour', () => {
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 503, retryAfterMs: 12_000 }, mid)).toEqual({ kind: 'retry', delayMs: 12_000 });
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 429, retryAfterMs: 999_000 }, mid)).toEqual({ kind: 'retry', delayMs: 20_000 });
    expect(decideRetry(3, SCHEDULE, { kind: 'status', status: 503, retryAfterMs: 86_400_000 }, mid)).toEqual({ kind: 'retry', delayMs: 3_600_000 });
    // A shorter Retry-After does not make us retry sooner than the schedule.
    expect(decideRetry(2, SCHEDULE, { kind: 'status', status: 503, retryAfterMs: 1_000 }, mid)).toEqual({ kind: 'retry', delayMs: 300_000 });
    // Retry-After on other statuses is ignored.
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 500, retryAfterMs: 12_000 }, mid)).toEqual({ kind: 'retry', delayMs: 5_000 });
  });

  it('backs off harder after timeouts and 429 without Retry-After', () => {
    expect(decideRetry(1, SCHEDULE, { kind: 'timeout' }, mid)).toEqual({ kind: 'retry', delayMs: 10_000 });
    expect(decideRetry(1, SCHEDULE, { kind: 'status', status: 429 }, mid)).toEqual({ kind: 'retry', delayMs: 10_000 });
  });
});

describe('internalErrorBackoffMs', () => {
  it('is a capped exponential', () => {
    expect(internalErrorBackoffMs(1, mid)).toBe(5_000);
    expect(internalErrorBackoffMs(3, mid)).toBe(20_000);
    expect(internalErrorBackoffMs(30, mid)).toBe(300_000);
  });
});

describe('circuitProbeDelayMs', () => {
  it('doubles from the minimum with each failed probe, up to the maximum', () => {
    expect(circuitProbeDelayMs(0, 5, 300)).toBe(5_000);
    expect(circuitProbeDelayMs(1, 5, 300)).toBe(10_000);
    expect(circuitProbeDelayMs(3, 5, 300)).toBe(40_000);
    expect(circuitProbeDelayMs(6, 5, 300)).toBe(300_000);
    expect(circuitProbeDelayMs(500, 5, 300)).toBe(300_000);
  });
});

import { describe, expect, it } from 'vitest';
import { formatRate, formatTime, isoToLocalInput, localInputToIso, prettyJson, splitList, successRate } from './format';

describe('format', () => {
  it('shows times in UTC to the second', () => {
    expect(formatTime('2026-12-05T17:01:02.345Z')).toBe('2026-12-05 17:01:02 UTC');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('not a date')).toBe('not a date');
  });

  it('computes success over finished deliveries only', () => {
    expect(successRate({ success: 3, fail: 1 })).toBe(0.75);
    expect(successRate({ success: 0, fail: 0 })).toBeNull();
    expect(formatRate(0.75)).toBe('75%');
    expect(formatRate(2 / 3)).toBe('66.7%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(null)).toBe('—');
  });

  it('splits comma or line separated lists, dropping blanks', () => {
    expect(splitList(' a, b ,,\nc ')).toEqual(['a', 'b', 'c']);
    expect(splitList('  ')).toEqual([]);
  });

  it('converts datetime-local values (local time; TZ=UTC in tests) to instants and back', () => {
    expect(localInputToIso('2026-01-02T03:04')).toBe('2026-01-02T03:04:00.000Z');
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('garbage')).toBeUndefined();
    expect(isoToLocalInput('2026-01-02T03:04:59.000Z')).toBe('2026-01-02T03:04');
  });

  it('pretty-prints JSON values and JSON text, and leaves other text alone', () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson('plain text')).toBe('plain text');
  });
});

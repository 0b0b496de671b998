import { describe, expect, it } from 'vitest';
import { dayWindows, endpointStatus } from './endpoint-status';

describe('endpointStatus', () => {
  const circuit = (state: string, consecutiveFailures = 0) => ({ state, consecutiveFailures });
  it('reads disabled first, then the circuit, then recent failures', () => {
    expect(endpointStatus({ disabled: true, circuit: circuit('open', 9) }).label).toBe('Disabled');
    expect(endpointStatus({ disabled: false, circuit: circuit('open', 9) })).toEqual({ label: 'Circuit open', tone: 'bad' });
    expect(endpointStatus({ disabled: false, circuit: circuit('half-open', 9) }).label).toBe('Circuit half-open');
    expect(endpointStatus({ disabled: false, circuit: circuit('closed', 2) })).toEqual({ label: 'Failing', tone: 'warn' });
    expect(endpointStatus({ disabled: false, circuit: circuit('closed') })).toEqual({ label: 'Enabled', tone: 'ok' });
  });

  it('treats the circuit as optional (servers without the dispatcher fields)', () => {
    expect(endpointStatus({ disabled: false }).label).toBe('Enabled');
    expect(endpointStatus({ disabled: false, circuit: null }).label).toBe('Enabled');
  });
});

describe('dayWindows', () => {
  it('cuts the last N days into consecutive windows ending now, oldest first', () => {
    const now = new Date('2026-12-05T12:00:00.000Z');
    const w = dayWindows(now, 3);
    expect(w.map((x) => x.label)).toEqual(['12-03', '12-04', '12-05']);
    expect(w[2]!.until).toBe(now.toISOString());
    expect(w[0]!.since).toBe('2026-12-02T12:00:00.000Z');
    for (let i = 1; i < w.length; i++) expect(w[i]!.since).toBe(w[i - 1]!.until);
  });
});

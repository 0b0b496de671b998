import type { Tone } from '../ui/controls';

/** The endpoint fields its status is read from (the circuit is optional: older servers lack it). */
export interface EndpointHealth {
  disabled: boolean;
  circuit?: { state: string; consecutiveFailures: number } | null;
}

/**
 * One word for an endpoint's state: disabled wins, then an open circuit (deliveries parked),
 * then failing (its latest attempts failed), else enabled.
 */
export function endpointStatus(ep: EndpointHealth): { label: string; tone: Tone } {
  if (ep.disabled) return { label: 'Disabled', tone: 'muted' };
  const circuit = ep.circuit;
  if (circuit && circuit.state === 'open') return { label: 'Circuit open', tone: 'bad' };
  if (circuit && circuit.state === 'half-open') return { label: 'Circuit half-open', tone: 'warn' };
  if (circuit && circuit.consecutiveFailures > 0) return { label: 'Failing', tone: 'warn' };
  return { label: 'Enabled', tone: 'ok' };
}

/** Day windows ending now, oldest first, for the stats chart (one stats call per window). */
export function dayWindows(now: Date, days: number): { since: string; until: string; label: string }[] {
  const windows: { since: string; until: string; label: string }[] = [];
  const dayMs = 86_400_000;
  for (let i = days - 1; i >= 0; i--) {
    const until = new Date(now.getTime() - i * dayMs);
    const since = new Date(until.getTime() - dayMs);
    windows.push({ since: since.toISOString(), until: until.toISOString(), label: until.toISOString().slice(5, 10) });
  }
  return windows;
}

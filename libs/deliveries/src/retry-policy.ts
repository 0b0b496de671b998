/**
 * Retry options, strategy and policy in one file (ADR 0003, 0010). When to try a delivery again. Pure functions of the attempt number, the configured schedule
 * (HERALD_RETRY_SCHEDULE: seconds between tries after the first) and what the receiver did.
 */
export type AttemptFailure =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'timeout' }
  | { kind: 'refused' | 'tls' | 'network' | 'invalid-url' | 'internal' };

export type RetryDecision =
  /** Try again in `delayMs`. */
  | { kind: 'retry'; delayMs: number }
  /** The schedule is used up: the delivery failed. */
  | { kind: 'exhausted' }
  /** 410 Gone: the receiver asked never to be called again; disable the endpoint. */
  | { kind: 'gone' };

/** A Retry-After is honoured up to 4× the scheduled step, and never beyond an hour. */
export const RETRY_AFTER_MAX_FACTOR = 4;
export const RETRY_AFTER_MAX_MS = 3_600_000;
/** Timeouts and 429s without Retry-After wait this much longer than the schedule says. */
export const HARD_BACKOFF_FACTOR = 2;
export const JITTER = 0.2;

/** `attempt` is the 1-based number of the try that just failed. */
export function decideRetry(attempt: number, scheduleSeconds: readonly number[], failure: AttemptFailure, random: () => number = Math.random): RetryDecision {
  if (failure.kind === 'status' && failure.status === 410) return { kind: 'gone' };
  const stepSeconds = scheduleSeconds[attempt - 1];
  if (stepSeconds === undefined) return { kind: 'exhausted' };
  const stepMs = stepSeconds * 1000;
  let delayMs = stepMs * (1 - JITTER + 2 * JITTER * random());
  const throttled = failure.kind === 'status' && (failure.status === 429 || failure.status === 503);
  if (throttled && failure.retryAfterMs !== undefined) {
    const cap = Math.min(Math.max(stepMs, 1000) * RETRY_AFTER_MAX_FACTOR, RETRY_AFTER_MAX_MS);
    delayMs = Math.max(delayMs, Math.min(failure.retryAfterMs, cap));
  } else if (failure.kind === 'timeout' || (failure.kind === 'status' && failure.status === 429)) {
    delayMs *= HARD_BACKOFF_FACTOR;
  }
  return { kind: 'retry', delayMs: Math.round(delayMs) };
}

/**
 * Backoff for errors that are not a receiver's answer (database or Redis trouble): 5 s
 * doubling, capped at 5 minutes, so a short outage costs little and a long one stays quiet.
 */
export function internalErrorBackoffMs(attemptsMade: number, random: () => number = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attemptsMade - 1), 300_000);
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/**
 * How long the circuit of an endpoint stays open before the next probe: `minSeconds`,
 * doubling with each failed probe, at most `maxSeconds`.
 */
export function circuitProbeDelayMs(failedProbes: number, minSeconds: number, maxSeconds: number): number {
  return Math.min(minSeconds * 2 ** Math.min(failedProbes, 30), maxSeconds) * 1000;
}

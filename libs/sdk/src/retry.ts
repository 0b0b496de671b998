/** Retry policy: which failures are retried and how long to wait between attempts. */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Upper bound of one computed delay (not of `Retry-After`). Default 5 000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_BASE_DELAY_MS = 200;
export const DEFAULT_MAX_DELAY_MS = 5_000;

/** 429 and 5xx are transient by contract; any other 4xx would fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so clients
 * that failed together do not retry together, yet no retry comes immediately.
 * `retryIndex` is 0 for the first retry.
 */
export function backoffDelayMs(retryIndex: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  // Cap the exponent so 2 ** n cannot overflow into Infinity for absurd retry counts.
  const ceiling = Math.min(max, base * 2 ** Math.min(retryIndex, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Parses `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparseable, so the caller falls back to backoff.
 */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP-dates always contain a day or month name; without this, Date.parse reads "-1" as a year.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Resolves after `ms`. The timer is deliberately not unref'd: a script awaiting a send must not
 * exit silently in the middle of a backoff.
 */
export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/**
 * A delivery (one message × one endpoint) as stored in `deliveries.status`:
 * - `pending`: to be tried when `next_attempt_at` comes (first try or a retry); claimed by
 *   the dispatcher `lease_owner` until `lease_until`;
 * - `success`: a 2xx arrived; `failed`: the retry schedule is used up (or the endpoint said
 *   410 Gone); `skipped`: the endpoint was disabled or deleted when it came due.
 */
export type DeliveryStatus = 'pending' | 'success' | 'failed' | 'skipped';

/** Svix MessageAttemptTriggerType: what made an attempt happen. */
export const TRIGGER_SCHEDULED = 0;
export const TRIGGER_MANUAL = 1;
export type TriggerType = typeof TRIGGER_SCHEDULED | typeof TRIGGER_MANUAL;

/** Svix MessageStatus of an attempt row: 0 success, 2 fail. */
export const ATTEMPT_SUCCESS = 0;
export const ATTEMPT_FAIL = 2;

/** An endpoint's circuit breaker (endpoints.circuit_state). */
export type CircuitState = 'closed' | 'open' | 'half-open';

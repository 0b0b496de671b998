const DAY_MS = 24 * 60 * 60 * 1000;

/** Metadata outlives payloads by default (as provisioning sets it): at least this many days. */
const DEFAULT_MIN_METADATA_DAYS = 90;

export interface StoredRetentionPolicy {
  payloadRetentionDays: number | null;
  attemptRetentionDays: number | null;
  metadataRetentionDays: number | null;
}

/** The policy retention applies to a tenant, in days. */
export interface RetentionPolicy {
  payloadDays: number;
  attemptDays: number;
  metadataDays: number;
}

/**
 * The tenant's stored policy with the operator's bound applied: payloads are never kept longer
 * than HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS, whatever the settings row says. A tenant without
 * a settings row gets the defaults provisioning would have written.
 */
export function effectivePolicy(stored: StoredRetentionPolicy, maxPayloadDays: number): RetentionPolicy {
  return {
    payloadDays: Math.min(stored.payloadRetentionDays ?? maxPayloadDays, maxPayloadDays),
    attemptDays: stored.attemptRetentionDays ?? maxPayloadDays,
    metadataDays: stored.metadataRetentionDays ?? Math.max(maxPayloadDays, DEFAULT_MIN_METADATA_DAYS),
  };
}

/** Rows created before this instant are older than `days` days at `now`. */
export function cutoffFor(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

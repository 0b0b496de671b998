/**
 * BullMQ queue and job names: the contract between processes. Deliveries do not go through
 * BullMQ (the dispatcher claims them from PostgreSQL, ADR 0010); scheduled maintenance does.
 */
export const RETENTION_QUEUE = 'retention';

export const JOB_RETENTION_RUN = 'retention-run';

/** Job data carries ids only; payloads and secrets stay encrypted in PostgreSQL. */
export interface RetentionJobData {
  tenantId?: string;
}

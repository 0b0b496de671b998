/** Queue and job names: the contract between the API, the dispatcher and the retention worker. */
export const DELIVERY_QUEUE = 'deliveries';
export const MAINTENANCE_QUEUE = 'maintenance';
export const RETENTION_QUEUE = 'retention';

export const JOB_DELIVER = 'deliver';
export const JOB_OUTBOX_SWEEP = 'outbox-sweep';
export const JOB_RETENTION_RUN = 'retention-run';

/** Job data carries ids only; payloads and secrets stay encrypted in PostgreSQL. */
export interface DeliveryJobData {
  deliveryId: string;
  tenantId: string;
}

export interface RetentionJobData {
  tenantId?: string;
}

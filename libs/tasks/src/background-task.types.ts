/** Svix's BackgroundTaskType values Herald runs. */
export const BACKGROUND_TASK_TYPES = ['endpoint.recover', 'endpoint.replay', 'endpoint.bulk-replay', 'application.purge_content'] as const;
export type BackgroundTaskType = (typeof BACKGROUND_TASK_TYPES)[number];

export const BACKGROUND_TASK_STATUSES = ['running', 'finished', 'failed'] as const;
export type BackgroundTaskStatus = (typeof BACKGROUND_TASK_STATUSES)[number];

/** Re-queue an endpoint's failed deliveries created in [since, until]. */
export interface RecoverParams {
  appId: string;
  endpointId: string;
  since: string;
  until: string;
}

/** Deliver to an endpoint the messages created in [since, until] it matches but never got an attempt for. */
export type ReplayMissingParams = RecoverParams;

/** Send again the endpoint's deliveries of messages created in [since, until] that match the filters. */
export interface BulkReplayParams extends RecoverParams {
  /** Delivery states to replay (the API maps Svix's MessageStatus); absent: every finished state. */
  statuses?: string[];
  /** HTTP status class (0 none, 100 … 500) of the delivery's last attempt. */
  statusCodeClass?: number;
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

/** Erase the payload of every message of the app created up to `until` (the request's time). */
export interface PurgeContentParams {
  appId: string;
  until: string;
}

export interface BackgroundTaskParams {
  'endpoint.recover': RecoverParams;
  'endpoint.replay': ReplayMissingParams;
  'endpoint.bulk-replay': BulkReplayParams;
  'application.purge_content': PurgeContentParams;
}

/** Progress while running, the result once finished (Svix's `data`). */
export type BackgroundTaskData = Record<string, number | string>;

export interface BackgroundTaskRow {
  id: string;
  tenantId: string;
  task: BackgroundTaskType;
  status: BackgroundTaskStatus;
  params: unknown;
  cursor: string;
  data: BackgroundTaskData;
  failures: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What one step did: the key it ended on (the next step starts after it), counts to add, whether it was the last. */
export interface StepResult {
  cursor: string;
  counts: Record<string, number>;
  done: boolean;
  /** Endpoint lanes that got due deliveries (the dispatchers are woken after commit). */
  wake: { tenantId: string; endpointId: string }[];
}

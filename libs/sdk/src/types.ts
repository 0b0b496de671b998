/**
 * Wire types of the Herald REST API (field names as in the Svix server API, version 1.1.1).
 * Timestamps arrive as ISO-8601 strings and are left as strings: converting them would
 * silently change what callers store or compare.
 */

export type JsonObject = Record<string, unknown>;

/** The list envelope shared by every paginated endpoint. */
export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  prevIterator?: string | null;
  done: boolean;
}

export type Ordering = 'ascending' | 'descending';

/** Page request shared by every list call; `limit` is 1–250. */
export interface PageOptions {
  limit?: number;
  iterator?: string;
}

// ---------------------------------------------------------------- applications

export interface ApplicationIn {
  name: string;
  uid?: string | null;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
}

export interface ApplicationPatch {
  name?: string;
  uid?: string | null;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
}

export interface ApplicationOut {
  id: string;
  uid?: string | null;
  name: string;
  metadata: Record<string, string>;
  throttleRate?: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ListApplicationsOptions extends PageOptions {
  order?: Ordering;
}

// ---------------------------------------------------------------- endpoints

export interface EndpointIn {
  url: string;
  uid?: string | null;
  description?: string;
  disabled?: boolean;
  eventTypes?: string[] | null;
  channels?: string[] | null;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
  /** `whsec_…` secret; omitted or null lets the server generate one. */
  secret?: string | null;
}

export interface EndpointUpdate {
  url: string;
  uid?: string | null;
  description?: string;
  disabled?: boolean;
  eventTypes?: string[] | null;
  channels?: string[] | null;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
}

export type EndpointPatch = Partial<EndpointUpdate>;

export interface EndpointOut {
  id: string;
  uid?: string | null;
  url: string;
  description: string;
  disabled?: boolean;
  eventTypes?: string[] | null;
  channels?: string[] | null;
  metadata: Record<string, string>;
  throttleRate?: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ListEndpointsOptions extends PageOptions {
  order?: Ordering;
}

export interface EndpointSecretOut {
  /** `whsec_<base64>` */
  key: string;
}

export interface EndpointSecretRotateIn {
  /** The new `whsec_…` secret; omitted or null lets the server generate one. */
  key?: string | null;
}

export interface RecoverIn {
  since: Date | string;
  until?: Date | string | null;
}

export interface RecoverOut {
  id: string;
  status: 'running';
  task: 'endpoint.recover';
  updatedAt: string;
}

// ---------------------------------------------------------------- messages

export interface MessageOut<P extends object = JsonObject, E extends string = string> {
  id: string;
  eventType: E;
  eventId?: string | null;
  payload: P;
  channels?: string[] | null;
  timestamp: string;
}

export interface ListMessagesOptions extends PageOptions {
  channel?: string;
  before?: Date | string;
  after?: Date | string;
  withContent?: boolean;
  eventTypes?: readonly string[];
}

// ---------------------------------------------------------------- attempts

/** Delivery status as a number on the wire: 0 success, 1 pending, 2 fail, 3 sending. */
export const MessageStatus = { Success: 0, Pending: 1, Fail: 2, Sending: 3 } as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

export type MessageStatusText = 'success' | 'pending' | 'fail' | 'sending';

/** 0 means "no response" (timeout, connection failure). */
export type StatusCodeClass = 0 | 100 | 200 | 300 | 400 | 500;

/** 0 scheduled, 1 manual (resend). */
export type MessageAttemptTriggerType = 0 | 1;

export interface MessageAttemptOut {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: MessageStatus;
  statusText: MessageStatusText;
  triggerType: MessageAttemptTriggerType;
  timestamp: string;
}

export interface ListAttemptsOptions extends PageOptions {
  status?: MessageStatus;
  statusCodeClass?: StatusCodeClass;
  channel?: string;
  before?: Date | string;
  after?: Date | string;
  withContent?: boolean;
  eventTypes?: readonly string[];
}

export interface ListAttemptsByMessageOptions extends ListAttemptsOptions {
  endpointId?: string;
}

// ---------------------------------------------------------------- app portal

export interface AppPortalAccessIn {
  featureFlags?: string[];
}

export interface AppPortalAccessOut {
  url: string;
  token: string;
}

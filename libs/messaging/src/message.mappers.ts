import type { AttemptRow } from './attempt.repository';
import type { EndpointMessageRow, EndpointRow } from './delivery.repository';
import { deliveryApiStatus, statusText } from './message-status';
import type { EndpointMessageOut, MessageAttemptOut, MessageEndpointOut, MessageOut } from './message.responses';

/** What an erased payload reads as (Svix). */
export const EXPIRED_PAYLOAD = Object.freeze({ expired: true });
/** What an erased attempt response reads as (Svix). */
export const EXPUNGED_RESPONSE = 'EXPUNGED';

/** Svix writes "none set" as null, Herald stores an empty array. */
const orNull = (items: string[]): string[] | null => (items.length > 0 ? items : null);

export function toMessageOut(m: { id: string; eventId: string | null; eventType: string; channels: string[]; tags: string[]; createdAt: Date }, payload: unknown): MessageOut {
  const out: MessageOut = {
    id: m.id,
    eventId: m.eventId,
    eventType: m.eventType,
    payload,
    channels: orNull(m.channels),
    timestamp: m.createdAt.toISOString(),
  };
  if (m.tags.length > 0) out.tags = m.tags;
  return out;
}

export function toAttemptOut(a: AttemptRow, response: string, msg?: MessageOut): MessageAttemptOut {
  const out: MessageAttemptOut = {
    id: a.id,
    url: a.url,
    msgId: a.messageId,
    endpointId: a.endpointId,
    response,
    responseStatusCode: a.responseStatus,
    responseDurationMs: a.durationMs,
    status: a.status,
    statusText: statusText(a.status),
    triggerType: a.triggerType,
    timestamp: a.createdAt.toISOString(),
  };
  if (msg) out.msg = msg;
  return out;
}

/** A delivery's next try is only meaningful while it is still to be sent. */
const nextAttemptOf = (deliveryStatus: string, at: Date | null): string | null =>
  (deliveryStatus === 'pending' || deliveryStatus === 'sending') && at ? at.toISOString() : null;

export function toEndpointMessageOut(row: EndpointMessageRow, payload: unknown, expandedStatuses: boolean): EndpointMessageOut {
  const status = deliveryApiStatus(row.deliveryStatus, expandedStatuses);
  return {
    ...toMessageOut(row, payload),
    status,
    statusText: statusText(status),
    nextAttempt: nextAttemptOf(row.deliveryStatus, row.nextAttemptAt),
  };
}

export function toMessageEndpointOut(row: EndpointRow & { deliveryStatus: string; nextAttemptAt: Date | null }, expandedStatuses: boolean): MessageEndpointOut {
  const status = deliveryApiStatus(row.deliveryStatus, expandedStatuses);
  return {
    id: row.id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    disabled: row.disabled,
    throttleRate: row.throttleRate,
    rateLimit: row.throttleRate,
    version: row.version,
    channels: orNull(row.channels),
    eventTypes: orNull(row.filterTypes),
    filterTypes: orNull(row.filterTypes),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    status,
    statusText: statusText(status),
    nextAttempt: nextAttemptOf(row.deliveryStatus, row.nextAttemptAt),
  };
}

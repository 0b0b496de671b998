import type { ApiMessageStatus } from './message.schemas';

/** Delivery row states (deliveries.status). */
export type DeliveryStatus = 'pending' | 'sending' | 'success' | 'failed' | 'skipped';

export type MessageStatusText = 'success' | 'pending' | 'fail' | 'sending' | 'canceled';

const TEXT: Record<ApiMessageStatus, MessageStatusText> = { 0: 'success', 1: 'pending', 2: 'fail', 3: 'sending', 4: 'canceled' };

export function statusText(status: number): MessageStatusText {
  return TEXT[status as ApiMessageStatus] ?? 'fail';
}

/**
 * A delivery's state as Svix's MessageStatus. A skipped delivery (endpoint disabled at send
 * time) is "canceled" (4) for clients that ask for expanded statuses — the svix client
 * does — and "fail" (2) for those that only know 0–3 (API 1.1.1).
 */
export function deliveryApiStatus(status: string, expanded: boolean): ApiMessageStatus {
  switch (status as DeliveryStatus) {
    case 'success':
      return 0;
    case 'pending':
      return 1;
    case 'sending':
      return 3;
    case 'skipped':
      return expanded ? 4 : 2;
    case 'failed':
      return 2;
    default:
      return 2;
  }
}

/** The delivery states that read as `status` (the inverse of deliveryApiStatus). */
export function deliveryStatusesFor(status: ApiMessageStatus, expanded: boolean): DeliveryStatus[] {
  switch (status) {
    case 0:
      return ['success'];
    case 1:
      return ['pending'];
    case 2:
      return expanded ? ['failed'] : ['failed', 'skipped'];
    case 3:
      return ['sending'];
    case 4:
      return expanded ? ['skipped'] : [];
  }
}

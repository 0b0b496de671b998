import { describe, expect, it } from 'vitest';
import { deliveryApiStatus, deliveryStatusesFor, statusText } from './message-status';

describe('delivery status mapping', () => {
  it('maps delivery states to Svix MessageStatus and back', () => {
    expect(['success', 'pending', 'failed', 'sending'].map((s) => deliveryApiStatus(s, false))).toEqual([0, 1, 2, 3]);
    expect(deliveryApiStatus('skipped', true)).toBe(4);
    expect(deliveryApiStatus('skipped', false)).toBe(2);
    expect(deliveryStatusesFor(2, false)).toEqual(['failed', 'skipped']);
    expect(deliveryStatusesFor(2, true)).toEqual(['failed']);
    expect(deliveryStatusesFor(4, true)).toEqual(['skipped']);
    expect(deliveryStatusesFor(4, false)).toEqual([]);
    expect([0, 1, 2, 3, 4].map(statusText)).toEqual(['success', 'pending', 'fail', 'sending', 'canceled']);
  });
});

import { describe, expect, it } from 'vitest';
import { cutoffFor, effectivePolicy } from './retention-policy';

describe('effectivePolicy', () => {
  it('keeps the stored policy within the operator maximum for payloads', () => {
    expect(effectivePolicy({ payloadRetentionDays: 30, attemptRetentionDays: 7, metadataRetentionDays: 60 }, 90)).toEqual({ payloadDays: 30, attemptDays: 7, metadataDays: 60 });
    expect(effectivePolicy({ payloadRetentionDays: 365, attemptRetentionDays: 365, metadataRetentionDays: 400 }, 90)).toEqual({ payloadDays: 90, attemptDays: 365, metadataDays: 400 });
  });

  it('falls back to the provisioning defaults without a settings row', () => {
    expect(effectivePolicy({ payloadRetentionDays: null, attemptRetentionDays: null, metadataRetentionDays: null }, 30)).toEqual({ payloadDays: 30, attemptDays: 30, metadataDays: 90 });
    expect(effectivePolicy({ payloadRetentionDays: null, attemptRetentionDays: null, metadataRetentionDays: null }, 120)).toEqual({ payloadDays: 120, attemptDays: 120, metadataDays: 120 });
  });
});

describe('cutoffFor', () => {
  it('is `days` whole days before now', () => {
    expect(cutoffFor(new Date('2026-03-10T12:00:00Z'), 7).toISOString()).toBe('2026-03-03T12:00:00.000Z');
  });
});

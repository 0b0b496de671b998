import { describe, expect, it } from 'vitest';
import { filterProblems, messageQuery, NO_FILTERS } from './filters';

describe('message filters', () => {
  it('asks for nothing when nothing is set', () => {
    expect(messageQuery(NO_FILTERS)).toEqual({});
  });

  it('turns the form into the list query (dates as instants)', () => {
    expect(messageQuery({ eventType: ' invoice.paid ', channel: 'billing', status: '2', endpointId: 'ep_1', after: '2026-01-01T00:00', before: '2026-01-02T00:00' })).toEqual({
      event_types: ['invoice.paid'],
      channel: 'billing',
      status: '2',
      after: '2026-01-01T00:00:00.000Z',
      before: '2026-01-02T00:00:00.000Z',
    });
  });

  it('drops the status without an endpoint (status lives per destination) and says so', () => {
    const f = { ...NO_FILTERS, status: '2' as const };
    expect(messageQuery(f)).toEqual({});
    expect(filterProblems(f)).toEqual(['Choose an endpoint to filter by delivery status.']);
  });

  it('refuses a range that ends before it starts', () => {
    expect(filterProblems({ ...NO_FILTERS, after: '2026-01-02T00:00', before: '2026-01-01T00:00' })).toEqual(['"From" must be before "To".']);
    expect(filterProblems({ ...NO_FILTERS, after: '2026-01-01T00:00', before: '2026-01-02T00:00' })).toEqual([]);
  });
});

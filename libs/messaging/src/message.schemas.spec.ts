import { describe, expect, it } from 'vitest';
import { attemptListQuerySchema, messageInSchema, messageListQuerySchema } from './message.schemas';

describe('message schemas', () => {
  it('reads event_types however clients spell the list, and clamps limit', () => {
    expect(messageListQuerySchema.parse({ event_types: 'a,b' }).event_types).toEqual(['a', 'b']);
    expect(messageListQuerySchema.parse({ event_types: ['a', 'c'] }).event_types).toEqual(['a', 'c']);
    expect(messageListQuerySchema.parse({ 'event_types[]': ['a', 'b'], event_types: 'b' }).event_types).toEqual(['a', 'b']);
    expect(messageListQuerySchema.parse({}).limit).toBe(50);
    expect(messageListQuerySchema.parse({ limit: '9999' }).limit).toBe(250);
    expect(messageListQuerySchema.parse({ limit: '0' }).limit).toBe(1);
    expect(messageListQuerySchema.parse({}).with_content).toBe(true);
    expect(messageListQuerySchema.parse({ with_content: 'false' }).with_content).toBe(false);
    expect(messageListQuerySchema.safeParse({ limit: '-1' }).success).toBe(false);
  });

  it('reads attempt filters', () => {
    const q = attemptListQuerySchema.parse({ status: '2', status_code_class: '500', with_msg: 'true' });
    expect(q).toMatchObject({ status: 2, status_code_class: 500, with_msg: true, with_content: true, expanded_statuses: false });
    expect(attemptListQuerySchema.safeParse({ status: '7' }).success).toBe(false);
  });

  it('accepts what the svix client sends and dedupes channels', () => {
    const m = messageInSchema.parse({ eventType: 'a.b', payload: {}, channels: ['x', 'x'], deliverAt: null, payloadRetentionHours: undefined, transformationsParams: null });
    expect(m.channels).toEqual(['x']);
    expect(messageInSchema.safeParse({ eventType: 'a.b', payload: [] }).success).toBe(false);
  });
});

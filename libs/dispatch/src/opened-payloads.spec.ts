import { describe, expect, it } from 'vitest';
import { OpenedPayloads } from './opened-payloads';

const opener = () => {
  let calls = 0;
  return {
    open: (text: string) => () => {
      calls += 1;
      return Promise.resolve(Buffer.from(text));
    },
    calls: () => calls,
  };
};

describe('OpenedPayloads', () => {
  it('opens a message once while it is young, per tenant', async () => {
    const cache = new OpenedPayloads(1_000, 1 << 20);
    const o = opener();
    expect((await cache.get('t1', 'msg_a', 10, 0, o.open('a'))).toString()).toBe('a');
    expect((await cache.get('t1', 'msg_a', 10, 999, o.open('other'))).toString()).toBe('a');
    expect(o.calls()).toBe(1);
    // Another tenant's message with the same id is its own entry.
    expect((await cache.get('t2', 'msg_a', 10, 999, o.open('b'))).toString()).toBe('b');
    expect(o.calls()).toBe(2);
  });

  it('opens again once the entry is as old as the limit, and holds nothing older', async () => {
    const cache = new OpenedPayloads(1_000, 1 << 20);
    const o = opener();
    await cache.get('t1', 'msg_a', 10, 0, o.open('a'));
    await cache.get('t1', 'msg_b', 10, 500, o.open('b'));
    await cache.get('t1', 'msg_a', 10, 1_000, o.open('a2'));
    expect(o.calls()).toBe(3);
    await cache.get('t1', 'msg_c', 10, 1_600, o.open('c'));
    expect(cache.size).toBe(2); // msg_b (500) is gone at 1,600; msg_a (1,000) and msg_c stay
  });

  it('keeps within its byte bound by dropping the oldest, and never keeps a payload larger than the bound', async () => {
    const cache = new OpenedPayloads(1_000, 100);
    const o = opener();
    await cache.get('t1', 'msg_a', 60, 0, o.open('a'));
    await cache.get('t1', 'msg_b', 60, 1, o.open('b'));
    expect(cache.size).toBe(1);
    await cache.get('t1', 'msg_b', 60, 2, o.open('b'));
    await cache.get('t1', 'msg_a', 60, 3, o.open('a'));
    expect(o.calls()).toBe(3); // msg_b was a hit, msg_a had been dropped
    await cache.get('t1', 'msg_big', 101, 4, o.open('big'));
    await cache.get('t1', 'msg_big', 101, 5, o.open('big'));
    expect(o.calls()).toBe(5);
  });

  it('forgets a failed opening so the next delivery tries again', async () => {
    const cache = new OpenedPayloads(1_000, 1 << 20);
    await expect(cache.get('t1', 'msg_a', 10, 0, () => Promise.reject(new Error('key unavailable')))).rejects.toThrow('key unavailable');
    await Promise.resolve();
    expect(cache.size).toBe(0);
    expect((await cache.get('t1', 'msg_a', 10, 1, () => Promise.resolve(Buffer.from('a')))).toString()).toBe('a');
  });

  it('stays bounded by age over a long stream of messages and still finds the young ones', async () => {
    const cache = new OpenedPayloads(1_000, 1 << 20);
    const o = opener();
    // 5,000 messages, one every 0.4 ms of clock: past the queue's compaction point several times.
    for (let i = 0; i < 5_000; i++) await cache.get('t1', `msg_${i}`, 10, i * 0.4, o.open(String(i)));
    expect(cache.size).toBe(2_500);
    expect((await cache.get('t1', 'msg_4999', 10, 2_000, o.open('again'))).toString()).toBe('4999');
    expect((await cache.get('t1', 'msg_2400', 10, 2_000, o.open('again'))).toString()).toBe('again');
    expect(o.calls()).toBe(5_001);
  });
});

import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('runs concurrent submissions as one batch and hands each caller its result', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 2);
    }, { maxSize: 100, maxDelayMs: 5 });
    expect(await Promise.all([1, 2, 3].map((i) => batcher.submit(i)))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('runs at once when the batch is full, and fails every caller of a failed batch', async () => {
    const sizes: number[] = [];
    const batcher = new MicroBatcher<number, void>(async (items) => {
      sizes.push(items.length);
      if (items.includes(99)) throw new Error('boom');
      return items.map(() => undefined);
    }, { maxSize: 2, maxDelayMs: 1_000 });
    await Promise.all([batcher.submit(1), batcher.submit(2)]);
    expect(sizes).toEqual([2]);
    const failing = [batcher.submit(99), batcher.submit(3)];
    await expect(Promise.all(failing)).rejects.toThrow('boom');
    await expect(failing[1]).rejects.toThrow('boom');
  });

  it('drain() runs what waits and waits for it', async () => {
    let done = 0;
    const batcher = new MicroBatcher<number, void>(async (items) => {
      await new Promise((r) => setTimeout(r, 20));
      done += items.length;
      return items.map(() => undefined);
    }, { maxSize: 100, maxDelayMs: 10_000 });
    const pending = batcher.submit(1);
    await batcher.drain();
    expect(done).toBe(1);
    await pending;
  });
});

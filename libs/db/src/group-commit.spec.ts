import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('GroupCommit', () => {
  it('runs a lone item at once and batches what arrives while batches are in flight', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await tick(20);
        return items.map((i) => i * 2);
      },
      { maxSize: 3, maxInFlight: 1 },
    );
    const first = group.submit(1);
    await tick(5);
    const rest = [2, 3, 4, 5].map((i) => group.submit(i));
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('with keyOf, runs items of one batch with the same key once and gives each caller the shared result', async () => {
    const batches: string[][] = [];
    const group = new GroupCommit<string, string>(
      async (items) => {
        batches.push(items);
        await tick(20);
        return items.map((i) => i.toUpperCase());
      },
      { maxSize: 10, maxInFlight: 1, keyOf: (item) => item },
    );
    const first = group.submit('a');
    await tick(5);
    const rest = ['b', 'a', 'b', 'c'].map((i) => group.submit(i));
    expect(await Promise.all([first, ...rest])).toEqual(['A', 'B', 'A', 'B', 'C']);
    expect(batches).toEqual([['a'], ['b', 'a', 'c']]);
  });

  it('with a linger, a batch that ends does not cut short the linger of items that arrived meanwhile', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await tick(100);
        return items;
      },
      { maxSize: 10, maxInFlight: 1, lingerMs: 100 },
    );
    const first = group.submit(1); // lingers until ~100 ms, runs until ~200 ms
    await tick(150);
    const second = group.submit(2); // arrives while [1] runs: lingers until ~250 ms
    await tick(70);
    const third = group.submit(3); // arrives after [1] ended, within [2]'s linger
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it("rejects every caller of a failed batch and keeps going", async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return items;
      },
      { maxSize: 10, maxInFlight: 1 },
    );
    const [a, b] = [group.submit(1), group.submit(2)];
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
    expect(await group.submit(3)).toBe(3);
  });

  it('drain waits for what was submitted, including batches not yet started', async () => {
    const done: number[] = [];
    const group = new GroupCommit<number, void>(
      async (items) => {
        await tick(15);
        done.push(...items);
        return items.map(() => undefined);
      },
      { maxSize: 2, maxInFlight: 1 },
    );
    await group.drain();
    for (const i of [1, 2, 3, 4, 5]) void group.submit(i);
    await group.drain();
    expect(done).toEqual([1, 2, 3, 4, 5]);
  });
});

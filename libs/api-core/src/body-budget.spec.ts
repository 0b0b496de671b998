import { describe, expect, it } from 'vitest';
import { BodyBudget } from './body-budget';

describe('BodyBudget', () => {
  it('grants at once while bytes are free, then queues in arrival order', async () => {
    const budget = new BodyBudget(100);
    expect(await budget.acquire(60, 1000)).toBe(true);
    const order: string[] = [];
    const big = budget.acquire(70, 1000).then((ok) => order.push(`big:${ok}`));
    // Smaller than what is free, but behind the big one: it must not jump the queue.
    const small = budget.acquire(10, 1000).then((ok) => order.push(`small:${ok}`));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    budget.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big:true', 'small:true']);
    expect(budget.inUse()).toBe(80);
  });

  it('gives up after the wait, and the bytes it never held stay free for the next', async () => {
    const budget = new BodyBudget(100);
    expect(await budget.acquire(100, 1000)).toBe(true);
    expect(await budget.acquire(50, 20)).toBe(false);
    budget.release(100);
    expect(budget.inUse()).toBe(0);
    expect(await budget.acquire(100, 20)).toBe(true);
  });

  it('reserves at most its capacity for a body larger than the budget, so it can still pass', async () => {
    const budget = new BodyBudget(100);
    expect(await budget.acquire(1000, 20)).toBe(true);
    expect(budget.inUse()).toBe(100);
    budget.release(1000);
    expect(budget.inUse()).toBe(0);
  });
});

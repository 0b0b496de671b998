/** Thrown by withTimeout when the work did not settle in time. */
export class TimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * `work`, or a TimeoutError after `ms`. The work itself is not cancelled (a promise cannot be):
 * callers bound how long *they* wait, e.g. for Redis while it reconnects.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves true when `work` settles within `ms`, false otherwise (never rejects). */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(
      work.then(
        () => undefined,
        () => undefined,
      ),
      ms,
    );
    return true;
  } catch {
    return false;
  }
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

export interface MicroBatcherOptions {
  /** Run as soon as this many items wait. */
  maxSize: number;
  /** Run at most this long after the first item arrived. */
  maxDelayMs: number;
}

/**
 * Collects single calls for a few milliseconds and runs them as one batch, so concurrent jobs
 * share one database round trip. `run` returns one result per item, in order.
 */
export class MicroBatcher<I, O> {
  private pending: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.runNow();
      else this.timer ??= setTimeout(() => this.runNow(), this.options.maxDelayMs);
    });
  }

  /** Runs what waits and resolves when every batch started so far has finished. */
  async drain(): Promise<void> {
    this.runNow();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private runNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const done = this.execute(batch);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as O));
    } catch (err) {
      // Every caller of the batch sees the failure (their jobs fail and retry).
      for (const p of batch) p.reject(err);
    }
  }
}

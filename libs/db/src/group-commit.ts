interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: concurrent callers' writes share one statement (and one transaction commit).
 * While fewer than `maxInFlight` batches run, a submitted item starts a batch at once (no
 * added latency when the API is quiet) — or, with `lingerMs`, after waiting that long for
 * company, which a batch ending meanwhile does not cut short (callers that do not wait on the result,
 * like the dispatcher's records, trade a few milliseconds for far fewer statements); under
 * load, items wait for a free slot and go together, up to `maxSize` per batch. Each caller's promise settles with its own result only
 * after its batch committed. With `keyOf`, items of one batch with the same key run once and
 * share the result (reads: a busy caller's concurrent requests often ask the same thing).
 */
export class GroupCommit<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxSize: number; maxInFlight: number; lingerMs?: number; keyOf?: (item: I) => string },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far has run (shutdown). */
  drain(): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.pump();
    };
    // A full batch goes at once; otherwise one microtask (callers of the same tick share the
    // batch) or the linger time later.
    if (this.options.lingerMs && this.waiting.length < this.options.maxSize) setTimeout(run, this.options.lingerMs);
    else queueMicrotask(run);
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxSize);
      this.inFlight += 1;
      void this.execute(batch).finally(() => {
        this.inFlight -= 1;
        // Items whose linger (or microtask) is still pending go when it ends, with the company
        // they gathered; going now would cut a linger short and send them nearly alone.
        if (!this.scheduled) this.pump();
      });
    }
    if (this.waiting.length === 0 && this.inFlight === 0 && !this.scheduled) {
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const { items, slots } = this.distinct(batch);
      const results = await this.run(items);
      batch.forEach((w, i) => w.resolve(results[slots ? (slots[i] as number) : i] as O));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  /** The batch's items, once per key with `keyOf`; `slots` maps each caller to its item's result. */
  private distinct(batch: Waiting<I, O>[]): { items: I[]; slots?: number[] } {
    const keyOf = this.options.keyOf;
    if (!keyOf) return { items: batch.map((w) => w.item) };
    const slotOf = new Map<string, number>();
    const items: I[] = [];
    const slots = batch.map((w) => {
      const key = keyOf(w.item);
      let slot = slotOf.get(key);
      if (slot === undefined) {
        slot = items.push(w.item) - 1;
        slotOf.set(key, slot);
      }
      return slot;
    });
    return { items, slots };
  }
}

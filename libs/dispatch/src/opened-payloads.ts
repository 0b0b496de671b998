/**
 * Plaintext payloads opened in the last moment, by tenant and message. A fan-out's deliveries
 * are claimed lane by lane (one endpoint at a time), so the ten deliveries of one message
 * usually arrive in ten different claims; without this each would decrypt the same payload.
 *
 * Bounded in age (plaintext stays in memory no longer than `maxAgeMs`, well inside the tenant
 * data key's own time in memory) and in bytes; the oldest entries go first. Only consulted for
 * a delivery whose claim still carried the sealed payload, so an erased message is never sent
 * from here.
 */
export class OpenedPayloads {
  private readonly entries = new Map<string, Entry>();
  /**
   * Entries in insertion (age) order, oldest at `head`. A queue rather than iterating the Map
   * from its front: V8 leaves deleted Map entries as holes until it rehashes, so iterating
   * from the front after many deletions walks them all, every time.
   */
  private order: Entry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxBytes: number,
  ) {}

  /** The message's plaintext, opened by `open` unless it was opened within `maxAgeMs`. */
  get(tenantId: string, messageId: string, sealedBytes: number, now: number, open: () => Promise<Buffer>): Promise<Buffer> {
    this.evict(now);
    const key = `${tenantId}/${messageId}`;
    const hit = this.entries.get(key);
    if (hit) return hit.body;
    const body = open();
    if (sealedBytes > this.maxBytes) return body;
    const entry: Entry = { key, at: now, bytes: sealedBytes, body };
    this.entries.set(key, entry);
    this.order.push(entry);
    this.bytes += sealedBytes;
    body.catch(() => this.forget(entry));
    this.evict(now);
    return body;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    for (let oldest = this.order[this.head]; oldest !== undefined; oldest = this.order[this.head]) {
      if (this.entries.get(oldest.key) === oldest && now - oldest.at < this.maxAgeMs && this.bytes <= this.maxBytes) break;
      this.forget(oldest);
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops the entry if it is still the one kept for its key (a failed opening may have been replaced). */
  private forget(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.bytes -= entry.bytes;
  }
}

interface Entry {
  key: string;
  at: number;
  bytes: number;
  body: Promise<Buffer>;
}

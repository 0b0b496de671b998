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
  private readonly entries = new Map<string, { at: number; bytes: number; body: Promise<Buffer> }>();
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
    this.entries.set(key, { at: now, bytes: sealedBytes, body });
    this.bytes += sealedBytes;
    body.catch(() => this.forget(key));
    this.evict(now);
    return body;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    // Insertion order is age order: the front is the oldest entry.
    for (const [key, entry] of this.entries) {
      if (now - entry.at < this.maxAgeMs && this.bytes <= this.maxBytes) break;
      this.forget(key);
    }
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

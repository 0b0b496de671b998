/**
 * Bounds the request-body bytes the API works on at once. Each body is reserved once it has
 * been received and before it is decoded and parsed, and released when its response ends (or
 * the connection closes). Parsing, validation, serialisation and encryption multiply a body
 * several times in the heap, so without this bound 128 concurrent 1 MiB messages took the API
 * to 1.5 GB RSS, and a heap cap would turn that into a crash. A body that finds the budget
 * spent waits (FIFO) up to `waitMs`, then answers 503 with Retry-After. Reserving only received
 * bodies means a client that sends slowly holds no budget.
 */
export class BodyBudget {
  private available: number;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Resolves true once `bytes` (at most the capacity) are reserved, false after `waitMs`. */
  acquire(bytes: number, waitMs: number): Promise<boolean> {
    const wanted = Math.min(bytes, this.capacity);
    if (this.waiting.length === 0 && wanted <= this.available) {
      this.available -= wanted;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        bytes: wanted,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(false);
        // A large body that gave up may have blocked smaller ones behind it.
        this.grantWaiting();
      }, waitMs);
      this.waiting.push(entry);
    });
  }

  release(bytes: number): void {
    this.available = Math.min(this.capacity, this.available + Math.min(bytes, this.capacity));
    this.grantWaiting();
  }

  /** Bytes reserved now (for metrics and tests). */
  inUse(): number {
    return this.capacity - this.available;
  }

  private grantWaiting(): void {
    for (let next = this.waiting[0]; next && next.bytes <= this.available; next = this.waiting[0]) {
      this.waiting.shift();
      this.available -= next.bytes;
      next.grant();
    }
  }
}

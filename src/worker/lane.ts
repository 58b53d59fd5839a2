/**
 * One destination's share of a worker process: at most `concurrency` attempts in
 * flight, whether they come straight from routing or from the destination's queue.
 * A lane never waits on another lane, so a destination that stalls holds only its
 * own slots.
 */
export class Lane {
  private active = 0;
  /** Attempts from routing now in flight (reported as this worker's in-flight count). */
  direct = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly started = new Map<number, number>();
  private nextToken = 0;
  private lastDone = -Infinity;

  constructor(
    readonly name: string,
    readonly concurrency: number,
    /** An attempt running this long means the destination has stopped answering (see hasRoom). */
    readonly maxWaitMs = 2000,
  ) {}

  /**
   * Whether a delivery from routing should wait here for a slot. While the
   * destination answers, it should: its line drains as fast as it answers, and a
   * busy worker (all lanes slow together) gains nothing from moving work into
   * queues. A destination that has finished no attempt for `maxWaitMs` while one
   * has been running that long has stopped answering: it takes no more from routing
   * (its deliveries go to its queue), so routing moves on to events for the other
   * destinations.
   */
  hasRoom(now = performance.now()): boolean {
    if (this.active < this.concurrency || now - this.lastDone < this.maxWaitMs) return true;
    for (const s of this.started.values()) if (now - s >= this.maxWaitMs) return false;
    return true;
  }

  acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter: `active` stays as it is.
    if (next) next();
    else this.active--;
  }

  /** Runs `work` in a slot, its start kept for `hasRoom`. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    const token = this.nextToken++;
    this.started.set(token, performance.now());
    try {
      return await work();
    } finally {
      this.started.delete(token);
      this.lastDone = performance.now();
      this.release();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

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
  private readonly started = new Set<number>();
  /** Moving average of attempt durations, ms. */
  private latency = 0;

  constructor(
    readonly name: string,
    readonly concurrency: number,
    /** How long a delivery from routing may expect to wait for a slot before it goes to the destination's queue instead. */
    readonly maxWaitMs = 1000,
  ) {}

  /**
   * Whether a delivery from routing should wait here for a slot. A healthy
   * destination drains a long line in well under `maxWaitMs`; one that has stopped
   * answering (its oldest attempt running for longer than the line could wait)
   * takes no more: its deliveries go to its queue, and routing moves on to events
   * for other destinations.
   */
  hasRoom(now = performance.now()): boolean {
    if (this.active < this.concurrency) return true;
    let oldest = now;
    for (const s of this.started) if (s < oldest) oldest = s;
    const latency = Math.max(this.latency, now - oldest, 1);
    return ((this.waiters.length + 1) / this.concurrency) * latency < this.maxWaitMs;
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

  /** Runs `work` in a slot, timing it for `hasRoom`. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    const start = performance.now();
    this.started.add(start);
    try {
      return await work();
    } finally {
      this.started.delete(start);
      const took = performance.now() - start;
      this.latency = this.latency === 0 ? took : this.latency * 0.8 + took * 0.2;
      this.release();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

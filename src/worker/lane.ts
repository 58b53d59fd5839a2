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
  private readonly waiters: Array<{ resolve: (slot: boolean) => void; evictable: boolean }> = [];
  private readonly started = new Map<number, number>();
  private nextToken = 0;
  private lastDone = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly concurrency: number,
    /** No attempt finished for this long while one has been running as long: the destination has stopped answering. */
    readonly maxWaitMs = 2000,
  ) {}

  /**
   * Whether the destination has stopped answering. While it answers, deliveries
   * from routing wait here for a slot: the line drains as fast as it answers, and a
   * busy worker (every lane slow together) gains nothing from moving work into
   * queues. Once it stops, routing's deliveries (waiting or new) go to its queue
   * instead, so routing moves on to events for the other destinations.
   */
  stalled(now = performance.now()): boolean {
    if (this.active < this.concurrency || now - this.lastDone < this.maxWaitMs) return false;
    for (const s of this.started.values()) if (now - s >= this.maxWaitMs) return true;
    return false;
  }

  /**
   * Runs `work` in a slot. `evictable` (routing's deliveries): answers `undefined`
   * without running it when the destination stalls while it waits.
   */
  async run<T>(work: () => Promise<T>, evictable = false): Promise<{ value: T } | undefined> {
    if (!(await this.acquire(evictable))) return undefined;
    const token = this.nextToken++;
    this.started.set(token, performance.now());
    try {
      return { value: await work() };
    } finally {
      this.started.delete(token);
      this.lastDone = performance.now();
      this.release();
    }
  }

  private acquire(evictable: boolean): Promise<boolean> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve(true);
    }
    if (evictable && this.stalled()) return Promise.resolve(false);
    const slot = new Promise<boolean>((resolve) => this.waiters.push({ resolve, evictable }));
    this.watch();
    return slot;
  }

  private release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter: `active` stays as it is.
    if (next) next.resolve(true);
    else this.active--;
  }

  /** While deliveries wait, look for a stall a few times a second and send routing's away. */
  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        if (!this.waiters.length) {
          clearInterval(this.timer);
          this.timer = undefined;
          return;
        }
        if (!this.stalled()) return;
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const w = this.waiters[i]!;
          if (!w.evictable) continue;
          this.waiters.splice(i, 1);
          w.resolve(false);
        }
      },
      Math.max(50, this.maxWaitMs / 8),
    );
    this.timer.unref();
  }

  get inFlight(): number {
    return this.active;
  }
}

import type { BreakerState, DestinationControls } from '../queue/controls.js';

/**
 * Each worker's copy of the destination controls, refreshed every `everyMs` (and at
 * once by this worker's own breaker changes): routing reads it for every delivery,
 * so it must not cost a round trip. A pause or resume by an operator reaches the
 * direct path within `everyMs`; the destination queues obey BullMQ's own pause at once.
 */
export class ControlView {
  private paused = new Set<string>();
  private breakers = new Map<string, BreakerState>();
  private timer: NodeJS.Timeout | undefined;
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly controls: DestinationControls,
    private readonly destinations: readonly string[],
    private readonly onError: (err: unknown) => void,
  ) {}

  start(everyMs: number): Promise<void> {
    this.loaded = this.refresh();
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
    return this.loaded;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const [paused, breakers] = await Promise.all([
        this.controls.paused(),
        this.controls.breakers(this.destinations),
      ]);
      this.paused = new Set(paused.keys());
      this.breakers = breakers;
    } catch (err) {
      this.onError(err);
    }
  }

  isPaused(destination: string): boolean {
    return this.paused.has(destination);
  }

  breaker(destination: string): BreakerState {
    return this.breakers.get(destination) ?? { failures: 0, until: 0, cooldown: 0 };
  }

  /** Whether a success must tell Redis (the breaker has counted failures or is open). */
  breakerDirty(destination: string): boolean {
    const b = this.breakers.get(destination);
    return !!b && (b.failures > 0 || b.until > 0);
  }

  noteFailure(destination: string, until: number): void {
    const b = this.breaker(destination);
    this.breakers.set(destination, { ...b, failures: b.failures + 1, until: until || b.until });
  }

  noteClosed(destination: string): void {
    this.breakers.delete(destination);
  }
}

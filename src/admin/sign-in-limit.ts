/**
 * Failed dashboard sign-ins per client address: after `max` misses within `windowMs`
 * the address is refused (429) until the window ends, so the sign-in form cannot be
 * used to guess the admin token at network speed. In memory, per process: the admin
 * port is private, and one process's count is enough to slow a guesser down.
 */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait while the address is blocked, else undefined. */
  retryAfter(address: string): number | undefined {
    const entry = this.failures.get(address);
    if (!entry) return undefined;
    const left = entry.resetAt - this.now();
    if (left <= 0) {
      this.failures.delete(address);
      return undefined;
    }
    return entry.count >= this.max ? Math.ceil(left / 1000) : undefined;
  }

  fail(address: string): void {
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry && entry.resetAt > now) entry.count += 1;
    else this.failures.set(address, { count: 1, resetAt: now + this.windowMs });
    // Many addresses (a scan) must not grow the map without bound.
    if (this.failures.size > 10_000) {
      for (const [key, value] of this.failures) if (value.resetAt <= now) this.failures.delete(key);
    }
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }
}

import { RetryableError } from './errors.js';

/**
 * The delivery timeout is enforced inside each destination as well as by whoever
 * passes `signal`, so a destination used on its own (CLI replay, tests) cannot hang.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly timer: AbortSignal;

  constructor(
    outer: AbortSignal,
    readonly timeoutMs: number,
  ) {
    this.timer = AbortSignal.timeout(timeoutMs);
    this.signal = AbortSignal.any([outer, this.timer]);
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  /** A timeout or an abort is transient: the next attempt may well succeed. */
  error(cause?: unknown): RetryableError {
    if (this.timer.aborted) return new RetryableError(`timed out after ${this.timeoutMs}ms`, { cause });
    return new RetryableError('delivery aborted', { cause: cause ?? this.signal.reason });
  }

  /** Throws when already aborted, so no request is started past the deadline. */
  check(): void {
    if (this.signal.aborted) throw this.error();
  }
}

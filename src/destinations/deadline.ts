import { RetryableError } from './errors.js';

/**
 * The watches on each outer signal, behind one listener of its own: many sends may
 * share one signal (a shutdown signal), and an EventTarget warns past 10 listeners.
 */
const watches = new WeakMap<AbortSignal, Set<() => void>>();

function onAbortOf(outer: AbortSignal, fire: () => void): () => void {
  let set = watches.get(outer);
  if (!set) {
    const fresh = new Set<() => void>();
    watches.set(outer, fresh);
    outer.addEventListener(
      'abort',
      () => {
        for (const f of [...fresh]) f();
        fresh.clear();
      },
      { once: true },
    );
    set = fresh;
  }
  set.add(fire);
  return () => void set.delete(fire);
}

/**
 * The delivery timeout is enforced inside each destination as well as by whoever
 * passes `signal`, so a destination used on its own (CLI replay, tests) cannot hang.
 */
export class Deadline {
  private readonly end: number;
  /** Set by a `watch` timer, which may fire a little before `end` by the clock. */
  private expired = false;
  private linked?: { signal: AbortSignal; timer: AbortSignal };

  constructor(
    private readonly outer: AbortSignal,
    readonly timeoutMs: number,
  ) {
    this.end = performance.now() + timeoutMs;
  }

  /**
   * Aborts at the deadline or with the outer signal, for clients that take a signal
   * (the AWS SDK). Made on first use: a linked timeout signal costs some 20 µs of CPU,
   * several times what `watch` does.
   */
  get signal(): AbortSignal {
    if (!this.linked) {
      const timer = AbortSignal.timeout(Math.max(0, Math.ceil(this.end - performance.now())));
      this.linked = { timer, signal: AbortSignal.any([this.outer, timer]) };
    }
    return this.linked.signal;
  }

  get aborted(): boolean {
    return this.outer.aborted || this.timedOut;
  }

  private get timedOut(): boolean {
    return this.expired || (this.linked?.timer.aborted ?? false) || performance.now() >= this.end;
  }

  /**
   * Calls `onAbort` once, at the deadline or when the outer signal aborts (at once if
   * either has already happened); returns the function that cancels the watch.
   */
  watch(onAbort: () => void): () => void {
    if (this.aborted) {
      onAbort();
      return () => {};
    }
    const cancel = () => {
      clearTimeout(timer);
      unlisten();
    };
    const fire = () => {
      cancel();
      onAbort();
    };
    const timer = setTimeout(
      () => {
        this.expired = true;
        fire();
      },
      Math.max(1, this.end - performance.now()),
    );
    const unlisten = onAbortOf(this.outer, fire);
    return cancel;
  }

  /** A timeout or an abort is transient: the next attempt may well succeed. */
  error(cause?: unknown): RetryableError {
    if (this.timedOut) return new RetryableError(`timed out after ${this.timeoutMs}ms`, { cause });
    return new RetryableError('delivery aborted', { cause: cause ?? this.outer.reason });
  }

  /** Throws when already aborted, so no request is started past the deadline. */
  check(): void {
    if (this.aborted) throw this.error();
  }
}

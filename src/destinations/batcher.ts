import type { Deadline } from './deadline.js';
import { RetryableError } from './errors.js';

/**
 * Sends one batch: one outcome per input, in order (a value, or the Error that entry
 * failed with); throws when the call as a whole failed.
 */
export type SendBatch<I, O> = (inputs: I[], signal: AbortSignal) => Promise<(O | Error)[]>;

export interface BatcherOptions<I, O> {
  /** Entries per call (10 for SQS, SNS and EventBridge). */
  maxEntries: number;
  /** Total size per call; a single larger entry still goes, alone. */
  maxBytes: number;
  /**
   * How long the first waiting entry waits for company while a call of this batcher is
   * in flight (the destination is busy, more sends are coming). With none in flight it
   * waits only for the current turn of the event loop, so a lone delivery is not delayed.
   */
  lingerMs: number;
  /** Bound on one call (the destination's timeout). */
  timeoutMs: number;
  send: SendBatch<I, O>;
  /** The error every entry of a failed call gets, classified as a single send would be. */
  callError(err: unknown, deadline: Deadline): Error;
}

interface Entry<I, O> {
  input: I;
  bytes: number;
  deadline: Deadline;
  settled: boolean;
  resolve(value: O): void;
  reject(err: Error): void;
  onAbort: () => void;
}

/**
 * Collects the sends of one destination into batch calls (SQS SendMessageBatch, SNS
 * PublishBatch, EventBridge PutEvents): a call goes when `maxEntries` are waiting, when
 * the next entry would take it past `maxBytes`, or shortly after its first entry.
 * Each `add` resolves or rejects with its own entry's outcome, and rejects as soon as
 * its own deadline passes, whether or not its call has come back.
 */
export class Batcher<I, O> {
  private waiting: Entry<I, O>[] = [];
  private waitingBytes = 0;
  private cancelTimer: (() => void) | undefined;
  private closed = false;
  private inFlight = 0;

  constructor(private readonly options: BatcherOptions<I, O>) {}

  add(input: I, bytes: number, deadline: Deadline): Promise<O> {
    deadline.check();
    if (this.closed) return Promise.reject(new RetryableError('destination closed'));
    return new Promise<O>((resolve, reject) => {
      const entry: Entry<I, O> = {
        input,
        bytes,
        deadline,
        settled: false,
        resolve: (value) => {
          if (settle(entry)) resolve(value);
        },
        reject: (err) => {
          if (settle(entry)) reject(err);
        },
        onAbort: () => {
          // Not sent yet: it never will be. Sent: its call goes on for the others.
          const at = this.waiting.indexOf(entry);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            this.waitingBytes -= entry.bytes;
          }
          entry.reject(deadline.error());
        },
      };
      deadline.signal.addEventListener('abort', entry.onAbort, { once: true });
      if (this.waiting.length && this.waitingBytes + bytes > this.options.maxBytes) this.flush();
      this.waiting.push(entry);
      this.waitingBytes += bytes;
      if (this.waiting.length >= this.options.maxEntries) this.flush();
      else this.cancelTimer ??= this.schedule();
    });
  }

  /** Entries not yet sent fail as retryable; calls in flight finish on their own. */
  close(): void {
    this.closed = true;
    this.stopTimer();
    const left = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const entry of left) entry.reject(new RetryableError('destination closed'));
  }

  private schedule(): () => void {
    const run = () => {
      this.cancelTimer = undefined;
      this.flush();
    };
    if (this.options.lingerMs <= 0 || this.inFlight === 0) {
      const immediate = setImmediate(run);
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(run, this.options.lingerMs);
    return () => clearTimeout(timer);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private flush(): void {
    this.stopTimer();
    const batch = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    if (batch.length) void this.call(batch);
  }

  private async call(batch: Entry<I, O>[]): Promise<void> {
    // The call stops at the destination timeout, or once every entry has given up on it
    // (a lone entry's own deadline is exactly that, and saves a timer and two signals).
    let signal: AbortSignal;
    let leave: (() => void) | undefined;
    if (batch.length === 1) signal = batch[0]!.deadline.signal;
    else {
      const everyoneLeft = new AbortController();
      signal = AbortSignal.any([everyoneLeft.signal, AbortSignal.timeout(this.options.timeoutMs)]);
      leave = () => {
        if (batch.every((e) => e.settled)) everyoneLeft.abort();
      };
      for (const e of batch) e.deadline.signal.addEventListener('abort', leave, { once: true });
    }
    this.inFlight++;
    try {
      const outcomes = await this.options.send(
        batch.map((e) => e.input),
        signal,
      );
      batch.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof Error) entry.reject(outcome);
        else if (outcome === undefined) entry.reject(new RetryableError('no result for the entry'));
        else entry.resolve(outcome);
      });
    } catch (err) {
      for (const entry of batch) entry.reject(this.options.callError(err, entry.deadline));
    } finally {
      this.inFlight--;
      if (leave) for (const e of batch) e.deadline.signal.removeEventListener('abort', leave);
    }
  }
}

/** Marks an entry settled; false when it already was (a result after its deadline is dropped). */
function settle<I, O>(entry: Entry<I, O>): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  entry.deadline.signal.removeEventListener('abort', entry.onAbort);
  return true;
}

import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics/registry.js';
import { StoreUnavailableError, type IntakeWriter } from '../../queue/intake-writer.js';
import type { Envelope } from '../../record/envelope.js';

export interface RecordSinkOptions {
  intakeWriter: IntakeWriter;
  source: string;
  /** `bufferSize`: records held while Redis is away; 0 = none. */
  capacity: number;
  logger: Logger;
  metrics: Metrics;
  /** How often a waiting buffer checks whether Redis is back. */
  retryEveryMs?: number;
}

/**
 * Where a proxy source's records go. The upstream has already acted when a record
 * exists, so a record that cannot be written now is not refused: it waits, in order,
 * in a bounded in-memory buffer until Redis answers again. Only what overflows the
 * buffer (or is still waiting when shutdown runs out of time) is lost, each one
 * logged with its event id and counted in `records_lost_total`.
 *
 * Writes in flight are not counted against the buffer: each is bounded in time by
 * `enqueueTimeout`, after which it either landed or joins the buffer.
 */
export class RecordSink {
  private readonly waiting: Envelope[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private healthy = true;
  /** Shutdown has begun: no more background retries, close() flushes instead. */
  private closing = false;
  /** Shutdown is over: a record that cannot be written now is lost. */
  private closed = false;
  private readonly retryEveryMs: number;

  constructor(private readonly options: RecordSinkOptions) {
    this.retryEveryMs = options.retryEveryMs ?? 1000;
  }

  /** Records waiting for Redis. */
  get buffered(): number {
    return this.waiting.length;
  }

  /**
   * Whether a write can be expected to succeed: after a failure, Redis is asked
   * again (one PING, bounded) before the answer turns to yes.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.healthy) return true;
    if (await this.options.intakeWriter.ping(timeoutMs)) this.healthy = true;
    return this.healthy;
  }

  /** Writes and waits for Redis to confirm. False: not stored (the caller decides what next). */
  async store(record: Envelope, timeoutMs?: number): Promise<boolean> {
    try {
      await this.options.intakeWriter.accept(record, {
        source: this.options.source,
        eventType: record.requestContext.eventType,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      this.healthy = true;
      return true;
    } catch (err) {
      this.healthy = false;
      this.options.logger.debug(
        { source: this.options.source, eventId: record.id, reason: reason(err) },
        'proxy record not stored',
      );
      return false;
    }
  }

  /** Stores in the background: now if it can, else after the records already waiting. */
  submit(record: Envelope): void {
    if (this.waiting.length > 0 || this.closing) {
      this.hold(record);
      return;
    }
    const write = this.store(record).then((stored) => {
      if (!stored) this.hold(record);
    });
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
  }

  /** Keeps a record that could not be written until Redis is back (or loses it, counted, if the buffer is full). */
  hold(record: Envelope): void {
    if (this.closed || this.waiting.length >= this.options.capacity) {
      this.lose([record], this.closed ? 'shutdown' : 'overflow');
      return;
    }
    this.waiting.push(record);
    this.options.logger.warn(
      { source: this.options.source, eventId: record.id, buffered: this.waiting.length },
      'proxy record buffered until Redis answers',
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.waiting.length > 0) this.schedule();
      });
    }, this.retryEveryMs);
    this.timer.unref();
  }

  /** Writes waiting records oldest first; stops at the first failure (Redis is still away). */
  private async flush(deadline = Infinity): Promise<void> {
    if (!(await this.options.intakeWriter.ping(Math.min(1000, Math.max(1, deadline - Date.now()))))) return;
    let written = 0;
    while (this.waiting.length > 0 && Date.now() < deadline) {
      const record = this.waiting[0]!;
      try {
        await this.options.intakeWriter.accept(record, {
          source: this.options.source,
          eventType: record.requestContext.eventType,
          ...(deadline !== Infinity ? { timeoutMs: Math.max(1, deadline - Date.now()) } : {}),
        });
      } catch {
        break;
      }
      this.waiting.shift();
      written++;
    }
    if (written > 0) {
      this.healthy = true;
      this.options.logger.info(
        { source: this.options.source, written, waiting: this.waiting.length },
        'buffered proxy records stored',
      );
    }
  }

  /**
   * Shutdown: waits for writes in flight, flushes the buffer until `deadline`
   * (ms since the epoch), and counts whatever is left as lost.
   */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
    if (this.flushing) await this.flushing;
    while (this.waiting.length > 0 && Date.now() < deadline) {
      const before = this.waiting.length;
      await this.flush(deadline);
      if (this.waiting.length === before) await sleep(Math.min(200, deadline - Date.now()));
    }
    this.closed = true;
    if (this.waiting.length > 0) this.lose(this.waiting.splice(0), 'shutdown');
  }

  private lose(records: Envelope[], why: 'overflow' | 'shutdown'): void {
    this.options.metrics.recordsLost.inc({ source: this.options.source, reason: why }, records.length);
    for (const record of records) {
      this.options.logger.error(
        { source: this.options.source, eventId: record.id, reason: why, bufferSize: this.options.capacity },
        why === 'overflow'
          ? 'proxy record lost: Redis unavailable and the record buffer is full'
          : 'proxy record lost: still not stored when shutdown ran out of time',
      );
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function reason(err: unknown): string {
  return err instanceof StoreUnavailableError ? err.reason : 'error';
}

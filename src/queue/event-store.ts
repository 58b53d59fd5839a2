import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Envelope } from '../record/envelope.js';
import { createRedis, describeRedisError, type RedisConnection } from './connection.js';
import { withDeadline } from './deadline.js';
import { dedupeId } from './dedupe.js';
import { eventJobOptions, type EventJobData } from './jobs.js';
import { EVENTS_QUEUE } from './names.js';

export interface AcceptOptions {
  source: string;
  /** The provider's event id (or configured key); undefined: no dedupe. */
  dedupeKey?: string;
  /** The provider's event type (record `requestContext.eventType`), for the intake index. */
  eventType?: string;
  /** Budget for this call; default `server.enqueueTimeout`. */
  timeoutMs?: number;
}

export interface AcceptResult {
  /** The stored event's id: the record's own, or the original's for a duplicate. */
  eventId: string;
  duplicate: boolean;
}

/**
 * The write path of the ingress. `accept` resolves only once Redis has confirmed the
 * job (or the original of a duplicate exists); anything else rejects with
 * StoreUnavailableError within the budget, so the caller can answer 503.
 */
export interface EventStore {
  accept(record: Envelope, options: AcceptOptions): Promise<AcceptResult>;
  /** Redis answers within the timeout (readyz). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Waits (bounded) for accepts in flight, then closes the queue and Redis. */
  close(): Promise<void>;
}

export type UnavailableReason = 'timeout' | 'offline' | 'error' | 'closed';

export class StoreUnavailableError extends Error {
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, options?: { cause?: unknown }) {
    super(`event store unavailable (${reason})`, options);
    this.name = 'StoreUnavailableError';
    this.reason = reason;
  }
}

export interface EventStoreOptions {
  redis: Config['redis'];
  /** retention.events, ms: dedupe window and job retention. */
  retention: number;
  /** server.enqueueTimeout, ms. */
  enqueueTimeout: number;
  logger?: Logger;
}

export function createEventStore(options: EventStoreOptions): EventStore {
  return new RedisEventStore(options);
}

class RedisEventStore implements EventStore {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly retention: number;
  private readonly enqueueTimeout: number;
  private readonly logger: Logger | undefined;
  private queuePromise: Promise<Queue<EventJobData>> | undefined;
  /** The queue queuePromise resolved to, while it is the current one. */
  private readyQueue: Queue<EventJobData> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private everReady = false;
  private outageReported = false;
  private closing: Promise<void> | undefined;
  private corked = false;

  constructor(options: EventStoreOptions) {
    this.prefix = options.redis.prefix;
    this.retention = options.retention;
    this.enqueueTimeout = options.enqueueTimeout;
    this.logger = options.logger;
    this.redis = createRedis(options.redis, 'enqueue');
    this.redis.on('ready', () => {
      if (this.outageReported) this.logger?.info('redis connection restored');
      this.everReady = true;
      this.outageReported = false;
    });
    this.redis.on('error', (err: Error) => {
      // ioredis reports every failed reconnect; one line per outage is enough.
      if (!this.outageReported) this.logger?.warn({ err: describeRedisError(err) }, 'redis unavailable');
      this.outageReported = true;
    });
    // Start BullMQ's initialisation now rather than on the first request.
    this.queue().catch(() => {});
  }

  async accept(record: Envelope, options: AcceptOptions): Promise<AcceptResult> {
    if (this.closing) throw new StoreUnavailableError('closed');
    const budget = options.timeoutMs ?? this.enqueueTimeout;
    const deadline = performance.now() + budget;
    const work = this.store(record, options, deadline);
    this.inFlight.add(work);
    work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return withDeadline(work, budget, () => new StoreUnavailableError('timeout'));
  }

  private async store(record: Envelope, options: AcceptOptions, deadline: number): Promise<AcceptResult> {
    // Connected and initialised (every request but the first few): no awaits before the add.
    let queue = this.redis.status === 'ready' ? this.readyQueue : undefined;
    if (!queue) {
      await this.connected();
      queue = await this.queue();
    }
    // Past the deadline the caller has been answered 503: writing late would store an
    // event the provider is going to send again.
    if (performance.now() >= deadline) throw new StoreUnavailableError('timeout');
    const eventId = record.id;
    const dedupe = options.dedupeKey !== undefined ? dedupeId(options.source, options.dedupeKey) : undefined;
    let job;
    try {
      // One script stores the job and its dedupe key together: there is never a key
      // without its job, so a duplicate is only ever answered for a stored event, and
      // an add that failed (or timed out and never landed) leaves nothing behind.
      this.coalesceWrites();
      job = await queue.add(options.source, { record }, eventJobOptions(eventId, this.retention, dedupe));
    } catch (err) {
      throw new StoreUnavailableError('error', { cause: err });
    }
    return job.id === eventId ? { eventId, duplicate: false } : { eventId: job.id!, duplicate: true };
  }

  /**
   * Under load many requests reach queue.add in the same event-loop turn, and each
   * add is one write to the Redis socket: a syscall per event, the largest single cost
   * in the ingress profile. Corked until setImmediate, the turn's adds leave in one
   * writev; a reply (and so the answer) waits at most for the rest of the turn.
   * Nothing is acknowledged any earlier: accept still resolves on Redis's reply.
   */
  private coalesceWrites(): void {
    if (this.corked || !(this.redis instanceof Redis)) return;
    const stream = this.redis.stream;
    if (!stream || stream.destroyed) return;
    stream.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  /**
   * Before the first connection, wait for it (bounded by the caller's deadline) so a
   * request right after start-up is not refused. Once Redis has been reachable, a
   * lost connection fails at once: the provider retries, and requests do not pile up
   * waiting for an outage to end.
   */
  private async connected(): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.everReady) throw new StoreUnavailableError('offline');
    await new Promise<void>((resolve) => {
      const onReady = () => resolve();
      this.redis.once('ready', onReady);
      // Do not keep listeners of abandoned requests around forever.
      setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve();
      }, this.enqueueTimeout).unref();
    });
    if ((this.redis.status as string) !== 'ready') throw new StoreUnavailableError('offline');
  }

  /**
   * BullMQ initialises a Queue once; if that fails (Redis dropped during its version
   * check) the Queue stays broken, so a failed one is replaced on the next call.
   */
  private queue(): Promise<Queue<EventJobData>> {
    if (!this.queuePromise) {
      const queue = new Queue<EventJobData>(EVENTS_QUEUE, { connection: this.redis, prefix: this.prefix });
      // Queue re-emits connection errors; they are logged once by the client listener.
      queue.on('error', () => {});
      const ready = queue.waitUntilReady().then(
        () => {
          if (this.queuePromise === ready) this.readyQueue = queue;
          return queue;
        },
        (err: unknown) => {
          if (this.queuePromise === ready) this.queuePromise = undefined;
          queue.close().catch(() => {});
          throw new StoreUnavailableError('error', { cause: err });
        },
      );
      this.queuePromise = ready;
    }
    return this.queuePromise;
  }

  async ping(timeoutMs = this.enqueueTimeout): Promise<boolean> {
    try {
      const pong = await withDeadline(
        this.connected().then(() => this.redis.ping()),
        timeoutMs,
        () => new StoreUnavailableError('timeout'),
      );
      return pong === 'PONG';
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await withDeadline(
        Promise.allSettled([...this.inFlight]),
        this.enqueueTimeout,
        () => new Error(),
      ).catch(() => {});
      const queue = this.queuePromise;
      if (queue)
        await withDeadline(
          queue.then((q) => q.close()),
          1000,
          () => new Error(),
        ).catch(() => {});
      try {
        await withDeadline(this.redis.quit(), 1000, () => new Error());
      } catch {
        this.redis.disconnect();
      }
    })();
    return this.closing;
  }
}

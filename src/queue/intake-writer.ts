import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Envelope } from '../record/envelope.js';
import { createRedis, describeRedisError, type RedisConnection } from './connection.js';
import { withDeadline } from './deadline.js';
import { partitionIndexOf } from '../record/id.js';
import { controlKeys, dedupePartition, globalPrefix, layoutOf, type Partition } from './keys.js';
import { ReplicasNotConfirmedError, waitForReplicas } from './replicas.js';
import { encodeNew } from './stored-event.js';

export interface AcceptOptions {
  source: string;
  /** The provider's event id (or configured key); undefined: no dedupe. */
  dedupeKey?: string;
  /** The provider's event type (record `requestContext.eventType`), for the intake index. */
  eventType?: string;
  /** Budget for this call; default `server.enqueueTimeout`. */
  timeoutMs?: number;
  /** `redis.ackReplicas`: also wait (WAIT, within the budget) until this many replicas have the write. */
  replicas?: number;
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
export interface IntakeWriter {
  accept(record: Envelope, options: AcceptOptions): Promise<AcceptResult>;
  /** Redis answers within the timeout (readyz). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Waits (bounded) for accepts in flight, then closes the queue and Redis. */
  close(): Promise<void>;
}

export type UnavailableReason = 'timeout' | 'offline' | 'error' | 'closed' | 'replicas';

export class StoreUnavailableError extends Error {
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, options?: { cause?: unknown }) {
    super(`event store unavailable (${reason})`, options);
    this.name = 'StoreUnavailableError';
    this.reason = reason;
  }
}

export interface IntakeWriterOptions {
  /** `partitions` defaults to 1. */
  redis: Omit<Config['redis'], 'partitions'> & { partitions?: number };
  /** retention.events, ms: how long the record is kept. */
  retention: number;
  /** retention.dedupe, ms: how long a provider's event id is remembered (default: `retention`). */
  dedupeRetention?: number;
  /** server.enqueueTimeout, ms. */
  enqueueTimeout: number;
  logger?: Logger;
}

export function createIntakeWriter(options: IntakeWriterOptions): IntakeWriter {
  return new RedisIntakeWriter(options);
}

/**
 * One script per partition for every event accepted in an event-loop turn: for each,
 * the dedupe key (when it has one), the record and the intake entry are written
 * together or not at all. So there is never a dedupe key without its event (a
 * duplicate is only ever answered for a stored event), and a write that failed or
 * timed out and never landed leaves nothing behind. Redis refuses a script for
 * memory (OOM) only before its first write, never midway. An error inside it (a key of
 * another type at one of the keys, which hookgate never writes) stops it where it is:
 * the events before are stored, yet every caller of the batch is answered 503; their
 * re-sends are duplicates of what was stored. Two events of one batch with the same
 * dedupe key: the second is a duplicate of the first.
 *
 * KEYS: the intake stream, then per event its dedupe key (if it has one) and its
 * record. ARGV: retention, dedupe retention, then per event: has a dedupe key ('1' or
 * '0'), id, record JSON, the number of intake fields, the fields. Returns per event the
 * stored event's id (the event's own, or the original's for a duplicate).
 *
 * One call per turn rather than one per event: under load a turn accepts several, and
 * each call cost the ioredis client more than the script's own share (in-process, 10
 * events of 3.4 KB per call: 16-28 µs of client CPU per event against 22-65 µs).
 */
const ACCEPT = `
local out = {}
local k, a = 2, 3
while a <= #ARGV do
  local dedupe = ARGV[a] == '1'
  local id, n = ARGV[a + 1], tonumber(ARGV[a + 3])
  local prev = false
  if dedupe then prev = redis.call('GET', KEYS[k]) end
  if prev then
    out[#out + 1] = prev
  else
    if dedupe then redis.call('SET', KEYS[k], id, 'PX', ARGV[2]) end
    redis.call('SET', KEYS[dedupe and k + 1 or k], ARGV[a + 2], 'PX', ARGV[1])
    redis.call('XADD', KEYS[1], '*', unpack(ARGV, a + 4, a + 3 + n))
    out[#out + 1] = id
  end
  k = k + (dedupe and 2 or 1)
  a = a + 4 + n
end
return out`;

type AcceptCommands = {
  hgAccept(...args: (string | number)[]): Promise<string[]>;
};

/** An event waiting for its turn's script. */
interface PendingWrite {
  eventId: string;
  json: string;
  /** Its dedupe key's name (undefined: no dedupe). */
  dedupe: string | undefined;
  record: string;
  fields: string[];
  deadline: number;
  resolve(stored: string): void;
  reject(err: unknown): void;
}

/** At most this many events per script call (a turn with more makes several calls). */
const BATCH_MAX = 100;

/** The intake entry's fields: what listing events needs without reading records. */
export function intakeFields(
  eventId: string,
  source: string,
  eventType?: string,
  dedupeKey?: string,
): string[] {
  const out = ['i', eventId, 's', source];
  if (eventType !== undefined) out.push('t', eventType);
  if (dedupeKey !== undefined) out.push('k', dedupeKey);
  return out;
}

class RedisIntakeWriter implements IntakeWriter {
  private readonly redis: RedisConnection;
  private readonly commands: AcceptCommands;
  /** The partitions of `redis.partitions`; a new event's id names its own (record/id.ts). */
  private readonly partitions: Partition[];
  private readonly layoutsKey: string;
  private layoutTimer: NodeJS.Timeout | undefined;
  private readonly retention: number;
  private readonly dedupeRetention: number;
  private readonly enqueueTimeout: number;
  private readonly logger: Logger | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private everReady = false;
  private outageReported = false;
  private closing: Promise<void> | undefined;
  /** Events accepted this turn, by partition index, written when the turn is over (write()). */
  private batches = new Map<number, PendingWrite[]>();
  private flushScheduled = false;
  private firstConnection: Promise<void> | undefined;

  constructor(options: IntakeWriterOptions) {
    const settings = { ...options.redis, partitions: options.redis.partitions ?? 1 };
    this.partitions = layoutOf(settings, settings.partitions);
    this.layoutsKey = controlKeys(globalPrefix(settings)).layouts;
    this.retention = options.retention;
    this.dedupeRetention = options.dedupeRetention ?? options.retention;
    this.enqueueTimeout = options.enqueueTimeout;
    this.logger = options.logger;
    this.redis = createRedis(options.redis, 'enqueue');
    this.redis.defineCommand('hgAccept', { lua: ACCEPT }); // key count given per call
    this.commands = this.redis as unknown as AcceptCommands;
    this.redis.on('ready', () => {
      if (this.outageReported) this.logger?.info('redis connection restored');
      this.everReady = true;
      this.outageReported = false;
      this.registerLayout();
    });
    this.redis.on('error', (err: Error) => {
      // ioredis reports every failed reconnect; one line per outage is enough.
      if (!this.outageReported) this.logger?.warn({ err: describeRedisError(err) }, 'redis unavailable');
      this.outageReported = true;
    });
  }

  /**
   * Tells the workers which layout this gateway writes with (queue/delivery-queues.ts
   * `registerLayout`): at each connection and every minute, so after a change of
   * `redis.partitions` they drain every partition either config writes to.
   */
  private registerLayout(): void {
    const write = () => {
      this.redis.hset(this.layoutsKey, String(this.partitions.length), String(Date.now())).catch(() => {});
    };
    write();
    if (!this.layoutTimer) {
      this.layoutTimer = setInterval(write, 60_000);
      this.layoutTimer.unref();
    }
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
    // Connected (every request but the first few): no awaits before the write.
    if (this.redis.status !== 'ready') await this.connected();
    // Past the deadline the caller has been answered 503: writing late would store an
    // event the provider is going to send again.
    if (performance.now() >= deadline) throw new StoreUnavailableError('timeout');
    const eventId = record.id;
    // The dedupe key's partition, which the ingress also put in the id; an id made
    // elsewhere (no partition in it) still keeps dedupe in the key's partition.
    const n = this.partitions.length;
    const index =
      options.dedupeKey !== undefined
        ? dedupePartition(options.source, options.dedupeKey, n)
        : (partitionIndexOf(eventId, n) ?? 0);
    const keys = this.partitions[index]!.keys;
    const fields = intakeFields(eventId, options.source, options.eventType, options.dedupeKey);
    let stored: string;
    try {
      const json = encodeNew(record);
      stored = await new Promise<string>((resolve, reject) =>
        this.write(index, {
          eventId,
          json,
          dedupe:
            options.dedupeKey !== undefined ? keys.dedupe(options.source, options.dedupeKey) : undefined,
          record: keys.record(eventId),
          fields,
          deadline,
          resolve,
          reject,
        }),
      );
    } catch (err) {
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError('error', { cause: err });
    }
    if (options.replicas) {
      const duplicate = stored !== eventId && options.dedupeKey !== undefined;
      await waitForReplicas(
        this.redis,
        duplicate ? keys.dedupe(options.source, options.dedupeKey!) : keys.record(eventId),
        options.replicas,
        deadline,
        duplicate ? stored : undefined,
      ).catch((err) => {
        throw new StoreUnavailableError(err instanceof ReplicasNotConfirmedError ? 'replicas' : 'error', {
          cause: err,
        });
      });
    }
    return stored === eventId ? { eventId, duplicate: false } : { eventId: stored, duplicate: true };
  }

  /**
   * Under load many requests reach the write in the same event-loop turn: they are
   * written together, one script per partition (and one write to the socket), when the
   * turn is over. A reply (and so the answer) waits at most for the rest of the turn;
   * nothing is acknowledged any earlier: each accept still resolves on Redis's reply.
   */
  private write(index: number, pending: PendingWrite): void {
    const list = this.batches.get(index);
    if (list) list.push(pending);
    else this.batches.set(index, [pending]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batches = this.batches;
      this.batches = new Map();
      for (const [i, all] of batches)
        for (let from = 0; from < all.length; from += BATCH_MAX)
          void this.writeBatch(i, all.slice(from, from + BATCH_MAX));
    });
  }

  private async writeBatch(index: number, batch: PendingWrite[]): Promise<void> {
    // Past its deadline an event's caller has been answered 503: writing it late would
    // store an event the provider is going to send again.
    const now = performance.now();
    const live = batch.filter((p) => {
      if (now < p.deadline) return true;
      p.reject(new StoreUnavailableError('timeout'));
      return false;
    });
    if (!live.length) return;
    const keys: string[] = [this.partitions[index]!.keys.intake];
    const args: (string | number)[] = [this.retention, this.dedupeRetention];
    for (const p of live) {
      if (p.dedupe !== undefined) keys.push(p.dedupe);
      keys.push(p.record);
      args.push(p.dedupe !== undefined ? '1' : '0', p.eventId, p.json, p.fields.length, ...p.fields);
    }
    try {
      const stored = await this.commands.hgAccept(keys.length, ...keys, ...args);
      live.forEach((p, i) => {
        const id = stored[i];
        if (id === undefined) p.reject(new Error('no reply for the event'));
        else p.resolve(id);
      });
    } catch (err) {
      for (const p of live) p.reject(err);
    }
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
    // One wait shared by every request that arrives before the first connection.
    this.firstConnection ??= new Promise<void>((resolve) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
      // Do not keep the listener of abandoned requests around forever.
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve();
      }, this.enqueueTimeout);
      timer.unref();
    }).finally(() => {
      this.firstConnection = undefined;
    });
    await this.firstConnection;
    if ((this.redis.status as string) !== 'ready') throw new StoreUnavailableError('offline');
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
    clearInterval(this.layoutTimer);
    this.closing ??= (async () => {
      await withDeadline(
        Promise.allSettled([...this.inFlight]),
        this.enqueueTimeout,
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

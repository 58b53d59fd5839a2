import { setMaxListeners } from 'node:events';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { AttemptRecord } from '../queue/attempts.js';
import { createRedis, ensureGroup, type RedisConnection } from '../queue/connection.js';
import { watchOtherLayouts, type Store } from '../queue/delivery-queues.js';
import { deliveryId } from '../queue/ids.js';
import { addDeadLetter, addDelivery } from '../queue/enqueue.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import { INTAKE_GROUP, type Partition } from '../queue/keys.js';
import { decodeForDelivery, encodeRouted, type CompactMark, type Marks } from '../queue/stored-event.js';
import type { Envelope } from '../record/envelope.js';
import { createRouteTable, type RouteTable } from '../record/routes.js';
import { attemptOnce } from './attempt.js';
import type { ControlView } from './control-view.js';
import { deadLetterKeepMs } from './destination-worker.js';
import type { Lane } from './lane.js';
import { backoffDelay, retryPolicyFor, timeoutFor } from '../queue/policy.js';
import type { DestinationPool } from './pool.js';
import type { Reporter } from './reporter.js';

export interface IntakeDeps {
  config: Config;
  store: Store;
  pool: DestinationPool;
  view: ControlView;
  reporter: Reporter;
  lanes: Map<string, Lane>;
  workerId: string;
  logger?: Logger;
  random?: () => number;
  /** Accepted events routed and delivered at once (default `worker.concurrency`). */
  maxEvents?: number;
  /** Where Redis errors go (the runtime logs each distinct one once per outage). */
  onError?: (err: unknown, what: string) => void;
  /** True: a delivered event's record is settled uncompressed (the log writer keeps up and lets go of it soon). */
  plainRecords?: () => boolean;
}

interface Entry {
  /** The partition whose intake stream the entry is in. */
  partition: Partition;
  streamId: string;
  eventId: string;
  /** The intake entry's source, type and dedupe key, passed on to the log stream. */
  source: string;
  type: string;
  key: string;
  started: number;
  /** Claimed from a worker that stopped: its attempts may have reached the receivers. */
  reclaimed: boolean;
}

/**
 * Sets the routed records and acknowledges their intake entries in one script per
 * partition and event-loop turn: each event is settled (and leaves the pending list) in
 * the same step. A record that has to outlive `retention.events` (a delivery still
 * retrying, or a dead letter) gets `keep` (`PEXPIRE … NX`, then `GT`: at least `keep`
 * from now, and brought back if it expired meanwhile: its dead letter needs it);
 * otherwise it keeps the TTL the ingress gave it (`SET … KEEPTTL XX`), and one that
 * expired meanwhile is not brought back. With an event log, each settled event is also
 * added to the log stream in the same step, so none is acknowledged without the log
 * writer hearing of it.
 *
 * ARGV: group, logged ('1' or '0'), then per record keep, value, stream id and, when
 * logged, its id, source, type and dedupe key. One SET per record and one XACK for all
 * (not a PTTL, a SET and an XACK each, nor four empty strings per record without a
 * log). In-process, 25 records of 1.1 KB per call: Redis 6.6-8.0 µs and the ioredis
 * client 4.2-9.7 µs per record, against 11.2-13.9 and 9.6-19.7 µs before; a MULTI of
 * the same commands cost Redis 4.3-6.1 µs but ioredis 14-29 µs (a command object and a
 * reply for each).
 */
const SETTLE = `
local logged = ARGV[2] == '1'
local stride = logged and 7 or 3
local acks = {}
for i = 3, #KEYS do
  local base = (i - 3) * stride + 3
  local keep = tonumber(ARGV[base])
  if keep > 0 then
    redis.call('SET', KEYS[i], ARGV[base + 1], 'KEEPTTL')
    redis.call('PEXPIRE', KEYS[i], keep, 'NX')
    redis.call('PEXPIRE', KEYS[i], keep, 'GT')
  else
    redis.call('SET', KEYS[i], ARGV[base + 1], 'KEEPTTL', 'XX')
  end
  acks[#acks + 1] = ARGV[base + 2]
  if logged then
    local entry = {'i', ARGV[base + 3]}
    if ARGV[base + 4] ~= '' then entry[#entry + 1] = 's'; entry[#entry + 1] = ARGV[base + 4] end
    if ARGV[base + 5] ~= '' then entry[#entry + 1] = 't'; entry[#entry + 1] = ARGV[base + 5] end
    if ARGV[base + 6] ~= '' then entry[#entry + 1] = 'k'; entry[#entry + 1] = ARGV[base + 6] end
    redis.call('XADD', KEYS[2], '*', unpack(entry))
  end
end
redis.call('XACK', KEYS[1], ARGV[1], unpack(acks))
return #KEYS - 2`;

type IntakeCommands = { hgSettle(...args: (string | number | Buffer)[]): Promise<number> };

/** One partition's intake stream as this worker reads it: its own blocking connection. */
interface Reader {
  partition: Partition;
  connection: RedisConnection;
  groupReady: boolean;
  /**
   * A read or a load failed: entries may be this worker's (delivered to it, the reply
   * lost in a failover) without being in hand. They are read again from its own
   * pending list before new ones, rather than after `lockDuration`.
   */
  recover: boolean;
  loop?: Promise<void>;
}

/** Settle attempts of one batch before its entries are left to be claimed again (about 15 s). */
const SETTLE_TRIES = 8;

/**
 * The intake consumer: reads accepted events from the intake stream (consumer group
 * `workers`, every worker a consumer), routes each, makes its first attempts
 * straight away (no job per delivery when the destination answers), and settles
 * the event: record rewritten compressed with what became of each delivery, entry
 * acknowledged. What cannot be attempted now (destination paused, suspended,
 * rate-limited, or busier than this worker's lane allows) or must be retried goes
 * to that destination's queue.
 *
 * A worker that dies leaves its entries pending; another claims them once they have
 * been idle `worker.lockDuration` (XAUTOCLAIM) and routes them again (deliveries
 * already made are made again: at-least-once). Entries a live worker holds are
 * re-claimed by it (idle time reset) so a slow attempt is never taken from it.
 */
export class IntakeConsumer {
  private readonly table: RouteTable;
  private readonly commands: IntakeCommands;
  private readonly maxEvents: number;
  /** One per partition read: the current layout's, and older layouts' that still hold entries. */
  private readonly readers = new Map<string, Reader>();
  /** Keyed by partition prefix and stream id (stream ids repeat across partitions). */
  private readonly inFlight = new Map<string, Entry>();
  private readonly settled: Array<{ entry: Entry; value: Buffer; keep: number }> = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private closing = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** Readers waiting for room, first come first served: no partition starves under skew. */
  private readonly roomWaiters: Array<() => void> = [];
  private stopWatching: (() => void) | undefined;

  constructor(private readonly deps: IntakeDeps) {
    // Every first attempt listens on this one shutdown signal.
    setMaxListeners(0, this.abort.signal);
    this.table = createRouteTable(deps.config);
    this.maxEvents = deps.maxEvents ?? deps.config.worker.concurrency;
    const redis = deps.store.redis;
    if (!(redis as unknown as Partial<IntakeCommands>).hgSettle)
      redis.defineCommand('hgSettle', { lua: SETTLE }); // key count given per call
    this.commands = redis as unknown as IntakeCommands;
  }

  start(): void {
    const { config, store } = this.deps;
    for (const p of store.partitions) this.read(p);
    // Older layouts' partitions whose intake stream exists are read until drained.
    this.stopWatching = watchOtherLayouts(
      store,
      (p) => p.keys.intake,
      (p) => this.readers.has(p.prefix),
      (p) => this.read(p),
    );
    const lock = config.worker.lockDuration;
    this.every(Math.max(100, Math.floor(lock / 3)), () => this.keepClaims());
    this.every(Math.max(100, config.worker.stalledInterval), () => this.reclaim());
    // With an event log the intake keeps only what is not settled yet (the log stream
    // and then PostgreSQL have the rest): trimmed often. Without, it is the time index.
    this.every(this.deps.store.logged ? 5_000 : 60_000, () => this.trim());
  }

  /** Events routed or being delivered by this worker now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Stops reading, then waits (at most `timeoutMs`) for the events in hand. What is
   * still unsettled then stays pending for another worker to claim.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.stopWatching?.();
    this.wakeAll();
    for (const r of this.readers.values()) r.connection.disconnect();
    await Promise.all([...this.readers.values()].map((r) => r.loop?.catch(() => {}) ?? Promise.resolve()));
    const until = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < until) await sleep(20);
    const inTime = this.inFlight.size === 0;
    if (!inTime) this.abort.abort();
    await this.flush();
    return inTime;
  }

  private warn(err: unknown, what: string): void {
    if (this.deps.onError) this.deps.onError(err, what);
    else this.deps.logger?.warn({ err: String(err) }, what);
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const t = setInterval(() => {
      task().catch((err: unknown) =>
        this.deps.logger?.warn({ err: String(err) }, 'intake housekeeping failed'),
      );
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Starts reading a partition's intake stream (once per partition). */
  private read(partition: Partition): void {
    if (this.readers.has(partition.prefix) || this.closing) return;
    // XREADGROUP BLOCK holds its connection: each partition's reader gets its own.
    const connection = createRedis(this.deps.config.redis, 'worker');
    connection.on('error', () => {});
    const reader: Reader = { partition, connection, groupReady: false, recover: false };
    this.readers.set(partition.prefix, reader);
    reader.loop = this.run(reader);
  }

  private async ensureGroup(reader: Reader): Promise<void> {
    if (reader.groupReady) return;
    await ensureGroup(this.deps.store.redis, reader.partition.keys.intake, INTAKE_GROUP);
    reader.groupReady = true;
  }

  /** Room for more events in hand, or undefined after waiting for some (in turn with the other partitions). */
  private async room(): Promise<number> {
    for (;;) {
      if (this.closing) return 0;
      const room = this.maxEvents - this.inFlight.size;
      if (room > 0 && this.roomWaiters.length === 0) return room;
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      const after = this.maxEvents - this.inFlight.size;
      if (after > 0) return after;
    }
  }

  /** Events left the worker's hands: the readers waiting longest go first. */
  private wake(): void {
    let room = this.maxEvents - this.inFlight.size;
    while (room-- > 0 && this.roomWaiters.length) this.roomWaiters.shift()!();
  }

  private wakeAll(): void {
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private async run(reader: Reader): Promise<void> {
    const { workerId } = this.deps;
    // A partition reads at most its share of the worker's events at a time, so one
    // with a backlog cannot take all the room while the others have events waiting.
    const quantum = Math.max(1, Math.ceil(this.maxEvents / Math.max(1, this.deps.store.partitions.length)));
    let failures = 0;
    while (!this.closing) {
      const room = await this.room();
      if (this.closing) return;
      try {
        await this.ensureGroup(reader);
        if (reader.recover) await this.recover(reader);
        const res = (await reader.connection.xreadgroup(
          'GROUP',
          INTAKE_GROUP,
          workerId,
          'COUNT',
          Math.min(room, quantum, 200),
          'BLOCK',
          1000,
          'STREAMS',
          reader.partition.keys.intake,
          '>',
        )) as [string, [string, string[]][]][] | null;
        failures = 0;
        if (res) await this.take(reader.partition, res[0]![1]);
        // Room left: the next reader waiting may read too.
        this.wake();
      } catch (err) {
        if (this.closing) return;
        if (String((err as Error).message).includes('NOGROUP')) reader.groupReady = false;
        reader.recover = true;
        if (failures++ === 0) this.warn(err, 'intake read failed; retrying');
        await sleep(Math.min(2000, 100 * failures));
      }
    }
  }

  /** Takes up the entries delivered to this worker that it does not have in hand (XREADGROUP from 0). */
  private async recover(reader: Reader): Promise<void> {
    let from = '0';
    for (;;) {
      const res = await reader.connection.xreadgroup(
        'GROUP',
        INTAKE_GROUP,
        this.deps.workerId,
        'COUNT',
        200,
        'STREAMS',
        reader.partition.keys.intake,
        from,
      );
      const entries = res?.[0]?.[1] ?? [];
      if (!entries.length) break;
      // A redelivery: its attempts may have reached the receivers (attempt 2).
      await this.take(reader.partition, entries, true);
      from = entries[entries.length - 1]![0];
    }
    reader.recover = false;
  }

  /** Loads the records of a batch of entries in one round trip and starts each event. */
  private async take(
    partition: Partition,
    entries: [string, string[] | null][],
    reclaimed = false,
  ): Promise<void> {
    const { store, logger } = this.deps;
    const keys = partition.keys;
    const list: Entry[] = [];
    const gone: string[] = [];
    for (const [streamId, fields] of entries) {
      const eventId = fields ? fieldOf(fields, 'i') : undefined;
      if (!eventId) gone.push(streamId);
      else if (!this.inFlight.has(entryKey(partition, streamId)))
        list.push({
          partition,
          streamId,
          eventId,
          source: fieldOf(fields!, 's') ?? '',
          type: fieldOf(fields!, 't') ?? '',
          key: fieldOf(fields!, 'k') ?? '',
          started: Date.now(),
          reclaimed,
        });
    }
    if (gone.length) await store.redis.xack(keys.intake, INTAKE_GROUP, ...gone);
    if (!list.length) return;
    for (const e of list) this.inFlight.set(entryKey(partition, e.streamId), e);
    // One MGET (the records of a partition share its hash slot): a pipeline of GETs
    // cost the ioredis client about twice as much, a command and a reply per record.
    let values: (Buffer | null)[];
    try {
      values = await store.redis.mgetBuffer(...list.map((e) => keys.record(e.eventId)));
    } catch (err) {
      for (const e of list) this.inFlight.delete(entryKey(partition, e.streamId));
      const reader = this.readers.get(partition.prefix);
      if (reader) reader.recover = true;
      throw err;
    }
    list.forEach((entry, i) => {
      const value = values[i];
      if (!value) {
        logger?.warn(
          { eventId: entry.eventId },
          'accepted event expired before it was routed (retention.events)',
        );
        this.settleNow(entry, undefined, 0);
        return;
      }
      void this.process(entry, value);
    });
  }

  private async process(entry: Entry, value: Buffer): Promise<void> {
    const { logger } = this.deps;
    try {
      const stored = decodeForDelivery(value);
      // Settled already (a reclaimed entry whose settle script ran): only the ack is missing.
      if (stored.marks) return this.settleNow(entry, undefined, 0);
      const record = stored.record;
      const destinations = this.table.match(record);
      if (!destinations) {
        logger?.warn(
          { eventId: record.id, source: record.source },
          'event from an unconfigured source: not routed',
        );
      } else if (destinations.length === 0) {
        logger?.debug({ eventId: record.id, source: record.source }, 'no route matched');
      }
      const marks: Marks = {};
      // A claimed event may have been delivered once already: the receiver is told attempt 2.
      const attempt = entry.reclaimed ? 2 : 1;
      const done = await Promise.all(
        (destinations ?? []).map((d) => this.first(d, record, attempt, entry.partition)),
      );
      (destinations ?? []).forEach((d, i) => (marks[d] = done[i]!));
      const keep = done.some((m) => m[0] !== 'd') ? deadLetterKeepMs(this.deps.config) : 0;
      const plain = keep === 0 && (this.deps.plainRecords?.() ?? false);
      this.settleNow(entry, encodeRouted(record, marks, plain), keep);
    } catch (err) {
      // Not settled: the entry stays pending and is claimed again once idle.
      this.inFlight.delete(entryKey(entry.partition, entry.streamId));
      this.wake();
      logger?.error({ eventId: entry.eventId, err: String(err) }, 'event not routed; will be claimed again');
    }
  }

  /** The first attempt of one delivery, or its hand-over to the destination's queue. */
  private async first(
    destination: string,
    record: Envelope,
    attempt: number,
    partition: Partition,
  ): Promise<CompactMark> {
    const { config, view, lanes, pool, reporter } = this.deps;
    const lane = lanes.get(destination);
    const limited = config.destinations[destination]?.rateLimit !== undefined;
    const b = view.breaker(destination);
    const wait = async (): Promise<CompactMark> => {
      await this.enqueue(destination, record, partition, {});
      return ['q'];
    };
    if (!lane || limited || view.isPaused(destination) || b.until > 0 || lane.stalled()) return wait();
    lane.direct++;
    let ran;
    try {
      ran = await lane.run(
        // Paused or suspended while it waited for a slot: it waits in the queue instead.
        async () =>
          view.isPaused(destination) || view.breaker(destination).until > 0
            ? undefined
            : attemptOnce(() => pool.get(destination), record, attempt, timeoutFor(config, destination), {
                signal: this.abort.signal,
              }),
        true,
      );
    } finally {
      lane.direct--;
    }
    // The destination stopped answering while this waited for a slot.
    if (!ran?.value) return wait();
    const result = ran.value;
    const context = { eventId: record.id, deliveryId: deliveryId(record.id, destination) };
    if (result.ok) {
      reporter.attempt(destination, result, 'success', context);
      const a = result.attempt;
      const mark: CompactMark = ['d', Date.parse(a.startedAt), a.durationMs];
      if (a.info || attempt !== 1) mark.push(a.info ?? {});
      if (attempt !== 1) mark.push(attempt);
      return mark;
    }
    const policy = retryPolicyFor(config, destination);
    if (result.permanent || policy.attempts <= 1) {
      const entry: AttemptRecord = { ...result.attempt, outcome: 'dead_letter' };
      reporter.attempt(destination, { ...result, attempt: entry }, 'dead_letter', context);
      // Straight into the dead-letter store: listed from now on. Queued for a worker to
      // fail, it was missing from `dlq list` until one took it (for as long as its
      // destination was paused, if that came first).
      const dead = entry.error ?? 'failed';
      const data = { ...this.jobData(destination, record, partition, { prior: [entry] }), dead };
      await addDeadLetter(
        this.deps.store,
        this.deps.config,
        deliveryId(record.id, destination),
        data,
        Date.now(),
      );
      return ['f'];
    }
    const delay = backoffDelay(policy, 1, result.error, this.deps.random);
    const entry: AttemptRecord = { ...result.attempt, retryInMs: delay };
    reporter.attempt(destination, { ...result, attempt: entry }, 'retry', context);
    await this.enqueue(destination, record, partition, { prior: [entry] }, delay);
    return ['q'];
  }

  private jobData(
    destination: string,
    record: Envelope,
    partition: Partition,
    extra: Pick<DeliveryJobData, 'prior'>,
  ): DeliveryJobData {
    return {
      eventId: record.id,
      source: record.source,
      destination,
      // Layout 1's events (the global prefix) need no `p`: the jobs they always had.
      ...(partition.prefix !== this.deps.store.prefix ? { p: partition.prefix } : {}),
      key: destination,
      ...extra,
    };
  }

  private async enqueue(
    destination: string,
    record: Envelope,
    partition: Partition,
    extra: Pick<DeliveryJobData, 'prior'>,
    delayMs = 0,
  ): Promise<void> {
    await addDelivery(
      this.deps.store,
      this.deps.config,
      this.jobData(destination, record, partition, extra),
      delayMs,
    );
  }

  private settleNow(entry: Entry, value: Buffer | undefined, keep: number): void {
    if (value) this.settled.push({ entry, value, keep });
    else this.settled.push({ entry, value: Buffer.alloc(0), keep: -1 });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushing = this.flushing.then(() => this.flush());
      });
    }
  }

  /** One script per partition for every event settled in this event-loop turn. */
  private async flush(): Promise<void> {
    const batch = this.settled.splice(0);
    if (!batch.length) return;
    const byPartition = new Map<string, typeof batch>();
    for (const one of batch) {
      const list = byPartition.get(one.entry.partition.prefix);
      if (list) list.push(one);
      else byPartition.set(one.entry.partition.prefix, [one]);
    }
    await Promise.all([...byPartition.values()].map((list) => this.flushPartition(list)));
  }

  private async flushPartition(
    batch: Array<{ entry: Entry; value: Buffer; keep: number }>,
    tries = 0,
  ): Promise<void> {
    const { store, logger } = this.deps;
    const at = batch[0]!.entry.partition;
    const keys: string[] = [at.keys.intake, at.keys.log];
    const args: (string | number | Buffer)[] = [INTAKE_GROUP, store.logged ? '1' : '0'];
    const acks: string[] = [];
    for (const { entry, value, keep } of batch) {
      if (keep < 0) {
        acks.push(entry.streamId);
        continue;
      }
      keys.push(at.keys.record(entry.eventId));
      // The index fields only go on to the log stream, with an event log.
      if (store.logged)
        args.push(keep, value, entry.streamId, entry.eventId, entry.source, entry.type, entry.key);
      else args.push(keep, value, entry.streamId);
    }
    try {
      if (keys.length > 2) await this.commands.hgSettle(keys.length, ...keys, ...args);
      if (acks.length) await store.redis.xack(at.keys.intake, INTAKE_GROUP, ...acks);
    } catch (err) {
      // Redis away for a moment (a failover, a reconnect): settle again from what is in
      // hand, the entries still claimed (keepClaims), rather than route them again once
      // they have been idle `lockDuration`. Settling twice is harmless: the same record,
      // an ack already made, a second log entry the writer merges.
      if (!this.closing && tries < SETTLE_TRIES) {
        if (tries === 0)
          logger?.warn({ err: String(err), events: batch.length }, 'could not settle events; retrying');
        const retry = setTimeout(
          () => void this.flushPartition(batch, tries + 1),
          250 * 2 ** Math.min(tries, 3),
        );
        retry.unref();
        return;
      }
      logger?.warn(
        { err: String(err), events: batch.length },
        'could not settle events; they will be read again',
      );
      const reader = this.readers.get(at.prefix);
      if (reader) reader.recover = true;
    }
    for (const { entry } of batch) this.inFlight.delete(entryKey(at, entry.streamId));
    this.wake();
  }

  /** Resets the idle time of the entries in hand, so no other worker claims them. */
  private async keepClaims(): Promise<void> {
    const { store, workerId, config } = this.deps;
    const old = Date.now() - config.worker.lockDuration / 3;
    const byStream = new Map<string, string[]>();
    for (const e of this.inFlight.values()) {
      if (e.started >= old) continue;
      const ids = byStream.get(e.partition.keys.intake);
      if (ids) ids.push(e.streamId);
      else byStream.set(e.partition.keys.intake, [e.streamId]);
    }
    await Promise.all(
      [...byStream].map(([stream, ids]) =>
        store.redis.call('XCLAIM', stream, INTAKE_GROUP, workerId, '0', ...ids, 'JUSTID'),
      ),
    );
  }

  /** Claims the entries of workers that died (idle past `worker.lockDuration`). */
  private async reclaim(): Promise<void> {
    for (const reader of [...this.readers.values()]) {
      if (this.closing) return;
      if (reader.groupReady) await this.reclaimIn(reader.partition);
    }
  }

  private async reclaimIn(partition: Partition): Promise<void> {
    const { store, workerId, config } = this.deps;
    const keys = partition.keys;
    let cursor = '0-0';
    do {
      const room = this.maxEvents - this.inFlight.size;
      if (room <= 0) return;
      const res = (await store.redis.xautoclaim(
        keys.intake,
        INTAKE_GROUP,
        workerId,
        config.worker.lockDuration,
        cursor,
        'COUNT',
        Math.min(room, 100),
      )) as [string, [string, string[] | null][], string[]?];
      cursor = res[0];
      const claimed = res[1].filter(([id]) => !this.inFlight.has(entryKey(partition, id)));
      const deleted = res[2] ?? [];
      if (deleted.length) await store.redis.xack(keys.intake, INTAKE_GROUP, ...deleted);
      if (claimed.length) {
        this.deps.logger?.info({ entries: claimed.length }, 'claimed events left by a stopped worker');
        await this.take(partition, claimed, true);
      }
    } while (cursor !== '0-0' && !this.closing);
  }

  /**
   * Without an event log the intake stream is also the time index of events: it keeps
   * `retention.events`. With one, an entry goes once settled: everything before the
   * group's oldest pending entry (or, with none pending, its last-read one).
   */
  private async trim(): Promise<void> {
    for (const reader of [...this.readers.values()]) {
      if (this.closing) return;
      await this.trimIn(reader);
    }
  }

  private async trimIn(reader: Reader): Promise<void> {
    const { store, config } = this.deps;
    const keys = reader.partition.keys;
    if (!store.logged) {
      await store.redis.xtrim(keys.intake, 'MINID', '~', String(Date.now() - config.retention.events));
      return;
    }
    if (!reader.groupReady) return;
    const groups = (await store.redis.xinfo('GROUPS', keys.intake)) as unknown[][];
    const group = groups.map(fieldMap).find((g) => g.name === INTAKE_GROUP);
    const lastRead = group?.['last-delivered-id'];
    if (typeof lastRead !== 'string' || lastRead === '0-0') return;
    const pending = (await store.redis.xpending(keys.intake, INTAKE_GROUP)) as [
      number,
      string | null,
      ...unknown[],
    ];
    const oldest = pending[0] > 0 && pending[1] ? pending[1] : lastRead;
    // Exact, not `~`: a short stream lives in one node, which `~` never trims.
    await store.redis.xtrim(keys.intake, 'MINID', oldest);
  }
}

function entryKey(partition: Partition, streamId: string): string {
  return `${partition.prefix} ${streamId}`;
}

function fieldMap(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

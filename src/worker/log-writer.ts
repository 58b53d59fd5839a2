import { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { EventLog } from '../event-log/log.js';
import { EventLogUnavailableError, sqlState } from '../event-log/sql.js';
import type { LoggedEvent } from '../event-log/types.js';
import type { EventDetail, RedisHistory } from '../events/history.js';
import type { Logger } from '../log.js';
import { createRedis, ensureGroup, type RedisConnection } from '../queue/connection.js';
import type { Store } from '../queue/delivery-queues.js';
import { deliveryKeyOf } from '../queue/ids.js';
import { LOG_GROUP, type Partition } from '../queue/keys.js';

export interface LogWriterDeps {
  config: Config;
  store: Store;
  /** The partition whose log stream this writer reads (runtime: one writer per partition). */
  partition: Partition;
  log: EventLog;
  history: RedisHistory;
  workerId: string;
  logger?: Logger;
  /** Where errors go (the runtime logs each distinct one once per outage). */
  onError?: (err: unknown, what: string) => void;
  /** Entries one batch takes (default 500). */
  batchSize?: number;
  /** How often expired days are dropped (default 10 min; 0 = never). */
  expireEveryMs?: number;
}

/**
 * Acknowledges and removes the written entries, and lets go of the events whose
 * deliveries are all final: their record and status keys are deleted, unless a
 * delivery became pending meanwhile (a replay marks it in the status hash first).
 * KEYS: log stream, then (record, status) per event to let go. ARGV: group, entry ids.
 */
const RELEASE = `
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
local released = 0
for i = 2, #KEYS, 2 do
  local busy = false
  for _, v in ipairs(redis.call('HVALS', KEYS[i + 1])) do
    if string.find(v, '"state":"pending"', 1, true) then busy = true; break end
  end
  if not busy then
    redis.call('DEL', KEYS[i], KEYS[i + 1])
    released = released + 1
  end
end
return released`;

type WriterCommands = { hgRelease(...args: (string | number)[]): Promise<number> };

/** An entry idle this long in another writer's hands is taken over (that writer stopped). */
const CLAIM_IDLE_MS = 30_000;
/**
 * Batches one writer has in PostgreSQL at once: the next is read and loaded while
 * one commits. Two batches holding states of one event are safe: the upserts never
 * take a state back.
 */
const MAX_IN_FLIGHT = 2;
/** A committed batch whose oldest entry was younger than this counts as keeping up. */
const KEEPING_UP_MS = 5_000;

/**
 * Copies event state from Redis to the event log. Every state change of
 * an event (settled by routing, a delivery final or replayed) adds an entry to the
 * log stream in the same Redis step as the change; each worker's writer is a
 * consumer of that stream. It reads a batch, loads each event's current state from
 * Redis, upserts them in one PostgreSQL transaction, then removes the entries and
 * lets Redis forget the events that are done.
 *
 * PostgreSQL down or slow holds up nothing but this: the batch is retried with
 * backoff while routing and delivery go on and the stream grows (the lag metric);
 * once it is back the writer catches up. Entries are removed only after the
 * commit, so a writer that dies loses nothing (another claims its entries).
 */
export class LogWriter {
  private readonly reader: RedisConnection;
  private readonly commands: WriterCommands;
  private readonly batchSize: number;
  private closing = false;
  private loop: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private groupReady = false;
  private readonly sleepers = new Set<() => void>();
  /** Batches being written (at most MAX_IN_FLIGHT), and their entry ids (not claimed again meanwhile). */
  private readonly writing = new Set<Promise<void>>();
  private readonly held = new Set<string>();
  /** Events written since start (tests and the bench read it). */
  written = 0;
  /** Whether the last try failed (PostgreSQL away). */
  private failing = false;
  /** How old the oldest entry of the last committed batch was then (ms): how far behind the log is. */
  private behindMs = 0;

  constructor(private readonly deps: LogWriterDeps) {
    this.batchSize = deps.batchSize ?? 500;
    this.reader = createRedis(deps.config.redis, 'worker');
    this.reader.on('error', () => {});
    const redis = deps.store.redis;
    if (!(redis as unknown as Partial<WriterCommands>).hgRelease)
      redis.defineCommand('hgRelease', { lua: RELEASE });
    this.commands = redis as unknown as WriterCommands;
  }

  /**
   * The log takes what is settled: the last try committed, and its batch's oldest
   * entry was younger than KEEPING_UP_MS (not a backlog being caught up). The
   * intake then settles delivered events' records uncompressed, as this writer lets go
   * of them in a second or two; while PostgreSQL is away or far behind they are
   * deflated as without a log, so a backlog costs Redis no more than before.
   */
  keepingUp(): boolean {
    return !this.failing && !this.closing && this.behindMs < KEEPING_UP_MS;
  }

  start(): void {
    this.loop = this.run();
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      if (ms <= 0) return;
      const t = setInterval(() => void task().catch((err: unknown) => this.warn(err, what)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(CLAIM_IDLE_MS / 3, () => this.reclaim(), 'event log: claiming entries failed');
    const expireEvery = this.deps.expireEveryMs ?? 600_000;
    if (expireEvery > 0) {
      const expire = () => this.expire();
      setTimeout(
        () => void expire().catch((err: unknown) => this.warn(err, 'event log: expiry failed')),
        1000,
      ).unref();
      every(expireEvery, expire, 'event log: expiry failed');
    }
  }

  /** Stops reading; a batch being written gets `timeoutMs` to finish (else it stays pending for another writer). */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    for (const wake of this.sleepers) wake();
    this.reader.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.loop?.catch(() => {}), ...this.writing]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private warn(err: unknown, what: string): void {
    if (this.deps.onError) this.deps.onError(err, what);
    else this.deps.logger?.warn({ err: String(err) }, what);
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    await ensureGroup(this.deps.store.redis, this.deps.partition.keys.log, LOG_GROUP);
    this.groupReady = true;
  }

  private async run(): Promise<void> {
    const { partition, workerId } = this.deps;
    let failures = 0;
    while (!this.closing) {
      try {
        await this.ensureGroup();
        const res = await this.reader.xreadgroup(
          'GROUP',
          LOG_GROUP,
          workerId,
          'COUNT',
          this.batchSize,
          'BLOCK',
          1000,
          'STREAMS',
          partition.keys.log,
          '>',
        );
        failures = 0;
        const entries = res?.[0]?.[1];
        if (entries?.length) {
          this.startWrite(entries);
          if (this.writing.size >= MAX_IN_FLIGHT) await Promise.race(this.writing);
        }
      } catch (err) {
        if (this.closing) return;
        if (String((err as Error).message).includes('NOGROUP')) this.groupReady = false;
        if (failures++ === 0) this.warn(err, 'event log: reading the log stream failed; retrying');
        await this.sleep(Math.min(2000, 100 * failures));
      }
    }
  }

  private startWrite(entries: [string, string[] | null][]): void {
    for (const [id] of entries) this.held.add(id);
    const done = this.write(entries)
      // Written but not acknowledged (Redis away): the entries stay pending and are claimed again.
      .catch((err: unknown) => this.warn(err, 'event log: acknowledging written entries failed'))
      .finally(() => {
        this.writing.delete(done);
        for (const [id] of entries) this.held.delete(id);
      });
    this.writing.add(done);
  }

  /** Writes one batch, retrying until PostgreSQL takes it (or the writer closes: the entries stay pending). */
  private async write(entries: [string, string[] | null][]): Promise<void> {
    const { log, history, partition } = this.deps;
    const entryIds = entries.map(([id]) => id);
    // The intake's index fields (type, dedupe key: what the ingress deduplicated on) ride
    // along from settling; the log gets what the Redis-side listing filters on.
    const index = new Map<string, { t?: string; k?: string }>();
    for (const [, f] of entries) {
      const id = f ? fieldOf(f, 'i') : undefined;
      if (!id || !f) continue;
      const t = fieldOf(f, 't');
      const k = fieldOf(f, 'k');
      if (t !== undefined || k !== undefined)
        index.set(id, { ...(t !== undefined ? { t } : {}), ...(k !== undefined ? { k } : {}) });
    }
    const ids = [
      ...new Set(entries.map(([, f]) => (f ? fieldOf(f, 'i') : undefined)).filter((i): i is string => !!i)),
    ];
    let failures = 0;
    let views: (EventDetail | undefined)[];
    /** Events PostgreSQL refused for what they hold (not for being away): kept in Redis, not let go. */
    const refused = new Set<string>();
    for (;;) {
      try {
        // Read at write time: a retried batch writes the newest state, not a stale one.
        views = await corked(this.deps.store.redis, () => history.current(ids, partition));
        const rows = views.filter((v): v is EventDetail => !!v).map((v) => loggedOf(v, index.get(v.id)));
        try {
          await log.write(rows);
        } catch (err) {
          if (!refusedForData(err)) throw err;
          // One event PostgreSQL cannot take must not stop the log: write them one by one.
          for (const row of rows) {
            try {
              await log.write([row]);
            } catch (one) {
              if (!refusedForData(one)) throw one;
              refused.add(row.id);
              this.deps.logger?.error(
                { eventId: row.id, err: String(one), sqlState: sqlState(one) },
                'event log: PostgreSQL refused this event; it stays in Redis for retention.events',
              );
            }
          }
        }
        if (failures > 0) this.deps.logger?.info({ events: ids.length }, 'event log: writing again');
        this.failing = false;
        // Stream ids start with the time they were added (ms).
        this.behindMs = Date.now() - Number(entryIds[0]?.split('-')[0] ?? 0);
        break;
      } catch (err) {
        this.failing = true;
        if (this.closing) return;
        if (failures++ === 0)
          this.warn(err, 'event log: writing to PostgreSQL failed; retrying (ingress and delivery go on)');
        await this.sleep(Math.min(5000, 200 * 2 ** Math.min(failures, 5)));
      }
    }
    // Done events are let go; an event Redis no longer has (expired, or let go by an
    // earlier entry) may still have a status key left by a late write.
    const keys: string[] = [partition.keys.log];
    views.forEach((v, i) => {
      if (refused.has(ids[i]!)) return;
      if (!v || v.status !== 'pending')
        keys.push(partition.keys.record(ids[i]!), partition.keys.status(ids[i]!));
    });
    await this.commands.hgRelease(keys.length, ...keys, LOG_GROUP, ...entryIds);
    this.written += views.filter(Boolean).length;
  }

  /** Entries a stopped writer held (idle past CLAIM_IDLE_MS) are written by this one. */
  private async reclaim(): Promise<void> {
    const { store, workerId, partition } = this.deps;
    if (this.closing || !this.groupReady) return;
    let cursor = '0-0';
    do {
      const res = (await store.redis.xautoclaim(
        partition.keys.log,
        LOG_GROUP,
        workerId,
        CLAIM_IDLE_MS,
        cursor,
        'COUNT',
        this.batchSize,
      )) as [string, [string, string[] | null][], string[]?];
      cursor = res[0];
      const deleted = res[2] ?? [];
      if (deleted.length) await store.redis.xack(partition.keys.log, LOG_GROUP, ...deleted);
      // Not the ones this writer is still retrying (PostgreSQL away for longer than CLAIM_IDLE_MS).
      const claimed = res[1].filter(([id]) => !this.held.has(id));
      if (claimed.length) {
        this.startWrite(claimed);
        await Promise.race(this.writing);
      }
    } while (cursor !== '0-0' && !this.closing);
  }

  private async expire(): Promise<void> {
    const { log, config, logger } = this.deps;
    const out = await log.expire(config.retention);
    if (out.dropped.length || out.deleted) logger?.info(out, 'event log: expired history removed');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/**
 * PostgreSQL refused the rows for what they hold (class 22 data exception, 23
 * integrity, 54 a limit such as a row too large), not for being away, migrating or
 * misconfigured: retrying the same rows would never succeed.
 */
function refusedForData(err: unknown): boolean {
  if (err instanceof EventLogUnavailableError) return false;
  const state = sqlState(err);
  return state !== undefined && /^(22|23|54)/.test(state);
}

/** The log's shape of an event Redis holds. */
export function loggedOf(event: EventDetail, indexed: { t?: string; k?: string } = {}): LoggedEvent {
  const out: LoggedEvent = {
    id: event.id,
    receivedAt: Date.parse(event.receivedAt),
    source: event.source,
    status: event.status,
    envelope: event.envelope,
    deliveries: event.deliveries.map((d) => {
      return {
        key: deliveryKeyOf(d.id),
        destination: d.destination,
        state: d.status,
        attempts: d.attempts,
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.replayOf !== undefined ? { replayOf: d.replayOf } : {}),
      };
    }),
  };
  const type = indexed.t ?? event.type;
  const dedupeKey = indexed.k ?? event.dedupeKey;
  if (type !== undefined) out.type = type;
  if (dedupeKey !== undefined) out.dedupeKey = dedupeKey;
  return out;
}

/**
 * Runs `read` with the connection's socket corked until its synchronous part is
 * done: the two reads per event it issues (record, status) leave in one write
 * instead of a syscall each, the largest part of the writer's Redis cost. Replies
 * still arrive as they come; nothing else changes.
 */
function corked<T>(redis: RedisConnection, read: () => Promise<T>): Promise<T> {
  const stream = redis instanceof Redis ? redis.stream : undefined;
  if (!stream || stream.destroyed || redis.status !== 'ready') return read();
  stream.cork();
  try {
    return read();
  } finally {
    stream.uncork();
  }
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

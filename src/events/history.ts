import { Job, type JobState } from 'bullmq';
import { decodeTime, ulid } from 'ulid';
import type { Config } from '../config/schema.js';
import { InvalidCursorError } from '../errors.js';
import { parseAttempts, type AttemptRecord } from '../queue/attempts.js';
import type { Store } from '../queue/delivery-queues.js';
import { markPending, parseStatusEntry, type DeliveryStatusEntry } from '../queue/event-status.js';
import { deliveryId, deliveryKeyOf, parseDeliveryId } from '../queue/ids.js';
import { addDelivery } from '../queue/enqueue.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import { dedupePartition, type Partition } from '../queue/keys.js';
import {
  decodeMarks,
  decodeStored,
  encodeRouted,
  firstAttempt,
  type CompactMark,
  type Marks,
} from '../queue/stored-event.js';
import type { DeliveryOutcome, EventStatus, LogFilter, LogPosition } from '../event-log/types.js';
import type { Envelope } from '../record/envelope.js';
import { createRouteTable } from '../record/routes.js';

/**
 * Accepted events and what became of them, as `hookgate events`, the admin API and
 * the console show them, read from Redis: the intake stream is the time index (one
 * small entry per event), each event's stored record carries its first attempts,
 * and deliveries that went to a destination queue are read from their job.
 */
export { EVENT_STATUSES, type EventStatus, type DeliveryOutcome } from '../event-log/types.js';

export interface DeliveryStatus {
  /** `<eventId>~<destination>` (replays: `~<replayId>` after it); a dead letter has this id. */
  id: string;
  destination: string;
  /** `failed`: in the dead-letter store. */
  status: DeliveryOutcome;
  /** While in its destination queue: BullMQ's state (`waiting`, `delayed`, `active`, `failed`…). */
  queueState?: JobState | 'unknown';
  attempts: AttemptRecord[];
  /** The last error, when there was one. */
  error?: string;
  /** `delayed`: when the next attempt is due. */
  nextAttemptAt?: string;
  replayOf?: string;
}

export interface EventSummary {
  id: string;
  source: string;
  type?: string;
  dedupeKey?: string;
  receivedAt: string;
  /** `pending`: not routed yet, or a delivery not final; `failed`: some delivery dead-lettered. */
  status: EventStatus;
}

export interface EventDetail extends EventSummary {
  envelope: Envelope;
  deliveries: DeliveryStatus[];
}

export interface ReplayResult {
  eventId: string;
  /** New delivery ids (`<eventId>~<destination>~<replayId>`). */
  deliveries: string[];
}

/** The filters of `GET /admin/events` and `events list` (the log's, see event-log/types.ts), and a page. */
export interface EventQuery extends LogFilter {
  /** Default 50, at most 1000. */
  limit?: number;
  cursor?: string;
}

export interface EventPage {
  items: EventSummary[];
  /** `null`: no more. */
  nextCursor: string | null;
}

export const DEFAULT_EVENT_LIMIT = 50;
export const MAX_EVENT_LIMIT = 1000;
/** Intake entries one page may look through: a filter that matches little answers with a cursor instead of scanning weeks. */
const MAX_SCAN = 20_000;
const SCAN_BATCH = 500;

export class EventNotFoundError extends Error {
  constructor(id: string) {
    super(`no event ${id}`);
    this.name = 'EventNotFoundError';
  }
}

export class UnknownDestinationError extends Error {
  constructor(name: string) {
    super(`unknown destination "${name}"`);
    this.name = 'UnknownDestinationError';
  }
}

export interface EventHistory {
  /** By hookgate event id, or by the provider's id (dedupe key) of any source. */
  get(idOrDedupeKey: string): Promise<EventDetail | undefined>;
  /** Newest first, a page at a time. A cursor it did not hand out throws `InvalidCursorError`. */
  list(query?: EventQuery): Promise<EventPage>;
  /**
   * Delivers the event again under new delivery ids (same event id): to
   * `destination` only, or to every destination its routes match under the current
   * config. Attempt numbers count on from the earlier deliveries.
   */
  replay(eventId: string, options?: { destination?: string }): Promise<ReplayResult>;
}

/**
 * Where a Redis-side listing stopped: the intake entry's stream id and, with several
 * partitions, its partition's prefix (the same stream id occurs in several streams;
 * entries are ordered by stream id, then prefix, both descending).
 */
export interface EventCursor {
  streamId: string;
  prefix?: string;
}

export function encodeEventCursor(at: EventCursor | string): string {
  const { streamId, prefix } = typeof at === 'string' ? { streamId: at, prefix: undefined } : at;
  return Buffer.from(prefix !== undefined ? `${streamId} ${prefix}` : streamId, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string): EventCursor {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d+-\d+)(?: (\S+))?$/.exec(text);
  if (!m || Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw new InvalidCursorError();
  return m[2] !== undefined ? { streamId: m[1]!, prefix: m[2] } : { streamId: m[1]! };
}

/** Stream ids compared as Redis orders them (milliseconds, then sequence). */
function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

interface IndexEntry {
  partition: Partition;
  streamId: string;
  raw: string[];
}

/**
 * The intake entries of every partition, newest first, merged: each partition's
 * stream is read `batch` entries at a time as the merge needs them. Entries equal in
 * stream id come in descending partition prefix order, which the cursor follows.
 */
async function* mergedIntake(
  redis: Store['redis'],
  partitions: readonly Partition[],
  from: EventCursor | undefined,
  until: number | undefined,
  since: number | undefined,
  batch: number,
): AsyncGenerator<IndexEntry> {
  const start = since !== undefined ? `${since}-0` : '-';
  const heads = partitions.map((partition) => {
    let end = '+';
    if (from) {
      // Past the cursor: at its stream id only the partitions after it (lower prefix).
      const inclusive = from.prefix !== undefined && partition.prefix < from.prefix;
      end = inclusive ? from.streamId : `(${from.streamId}`;
    } else if (until !== undefined) end = `(${until}-0`;
    return { partition, end, buffer: [] as [string, string[]][], done: false };
  });
  const refill = async (h: (typeof heads)[number]) => {
    if (h.done || h.buffer.length) return;
    const got = (await redis.xrevrange(h.partition.keys.intake, h.end, start, 'COUNT', batch)) as [
      string,
      string[],
    ][];
    if (got.length < batch) h.done = true;
    if (got.length) {
      h.buffer = got;
      h.end = `(${got[got.length - 1]![0]}`;
    }
  };
  for (;;) {
    await Promise.all(heads.map(refill));
    let best: (typeof heads)[number] | undefined;
    for (const h of heads) {
      if (!h.buffer.length) continue;
      if (
        !best ||
        compareStreamIds(h.buffer[0]![0], best.buffer[0]![0]) > 0 ||
        (h.buffer[0]![0] === best.buffer[0]![0] && h.partition.prefix > best.partition.prefix)
      )
        best = h;
    }
    if (!best) return;
    const [streamId, raw] = best.buffer.shift()!;
    yield { partition: best.partition, streamId, raw };
  }
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A hookgate event id (a ULID), as opposed to a provider's id (a dedupe key). */
export function isEventId(value: string): boolean {
  return ULID.test(value);
}

/**
 * When the event was received: its id is a ULID made from the receipt time (the
 * record's `timestamp`), which can be earlier than the intake entry (a proxy record
 * buffered through a Redis outage).
 */
function receivedAt(eventId: string, streamId: string): number {
  try {
    return decodeTime(eventId);
  } catch {
    return Number(streamId.split('-')[0]);
  }
}

function statusOf(marks: Marks | undefined, status: Record<string, string>): EventStatus {
  if (!marks) return 'pending';
  const keys = new Set([...Object.keys(marks), ...Object.keys(status)]);
  if (keys.size === 0) return 'unrouted';
  let pending = false;
  for (const key of keys) {
    const entry = status[key] !== undefined ? parseStatusEntry(status[key]) : undefined;
    const state = entry?.state ?? markState(marks[key]);
    if (state === 'failed') return 'failed';
    if (state === 'pending') pending = true;
  }
  return pending ? 'pending' : 'delivered';
}

function markState(mark: CompactMark | undefined): DeliveryOutcome {
  if (!mark) return 'pending';
  return mark[0] === 'd' ? 'delivered' : mark[0] === 'f' ? 'failed' : 'pending';
}

function fieldsOf(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

/** What the logged history and the log writer need of the Redis side besides `EventHistory`. */
export interface RedisHistory extends EventHistory {
  /** Each event as Redis holds it now (undefined: Redis has no record of it). */
  /** `at`: the partition that holds them (the log writer's), else each is located. */
  current(ids: readonly string[], at?: Partition): Promise<(EventDetail | undefined)[]>;
  /**
   * Events Redis holds that the log may not have yet, matching `filter`, older than
   * `after`, newest first, at most `limit + 1`; `seen`: every event looked at (its
   * Redis state is newer than the log's).
   */
  unlogged(
    filter: LogFilter,
    after: LogPosition | undefined,
    limit: number,
  ): Promise<{ items: EventSummary[]; seen: Set<string> }>;
  /** Replays an event Redis let go of, putting it back from the log first. */
  replayRestored(event: EventDetail, options: { destination?: string }): Promise<ReplayResult>;
}

/** Events in each of the intake and log streams that a list looks at besides the log. */
const MAX_UNLOGGED = 5000;
/**
 * Of those, how many one page loads at most (newest first) when a filter matches few:
 * a page while the log lags far behind stays fast, and shows what the log has beyond.
 */
const MAX_UNLOGGED_LOADS = 2000;

/** The history as Redis holds it (the whole of it without an event log). */
export function createRedisHistory(store: Store, config: Config): RedisHistory {
  const routes = createRouteTable(config);
  const { redis } = store;

  async function load(eventId: string, at?: Partition) {
    const keys = (at ?? (await store.locate(eventId))).keys;
    const [value, status] = await Promise.all([
      redis.getBuffer(keys.record(eventId)),
      redis.hgetall(keys.status(eventId)),
    ]);
    if (!value) return undefined;
    return { ...decodeStored(value), status };
  }

  async function resolveId(idOrKey: string): Promise<string | undefined> {
    if (isEventId(idOrKey) && (await redis.exists((await store.locate(idOrKey)).keys.record(idOrKey))))
      return idOrKey;
    const sources = Object.keys(config.sources);
    if (!sources.length) return undefined;
    // A dedupe key lives in the partition it hashes to, in each layout.
    const partitions = await store.allPartitions();
    const counts = [...new Set(partitions.map((p) => p.count))];
    const lookups = sources.flatMap((s) =>
      counts.map((c) => {
        const at = partitions.find((p) => p.count === c && p.index === dedupePartition(s, idOrKey, c));
        return at ? redis.get(at.keys.dedupe(s, idOrKey)) : Promise.resolve(null);
      }),
    );
    const found = await Promise.all(lookups);
    return found.find((v): v is string => !!v);
  }

  async function deliveryStatus(
    eventId: string,
    key: string,
    mark: CompactMark | undefined,
    entry: DeliveryStatusEntry | undefined,
  ): Promise<DeliveryStatus> {
    const destination = key.split('~')[0]!;
    const id = deliveryId(eventId, key);
    const out: DeliveryStatus = { id, destination, status: entry?.state ?? markState(mark), attempts: [] };
    const replayOf = key.includes('~') ? deliveryId(eventId, destination) : undefined;
    if (replayOf) out.replayOf = replayOf;
    if (entry?.state === 'delivered') {
      out.attempts = entry.attempts ?? [];
      return out;
    }
    // Brought back from the event log for a replay: the log's attempts, unless the job says more.
    if (entry?.attempts) {
      out.attempts = entry.attempts;
      const last = entry.attempts[entry.attempts.length - 1];
      if (last?.error) out.error = last.error;
    }
    if (mark?.[0] === 'd' && !entry) {
      out.attempts = [firstAttempt(mark)];
      return out;
    }
    // In its destination queue (retrying, waiting, or a dead letter): the job has the rest.
    const queue = store.queue(destination);
    const job = await Job.fromId<DeliveryJobData>(queue, id);
    if (!job) return out;
    if (entry?.attempts && entry.state !== 'pending') {
      // Restored from the log: the dead letter's job (if still kept) only adds its queue state.
      out.queueState = await job.getState();
      return out;
    }
    const [state, { logs }] = await Promise.all([job.getState(), queue.getJobLogs(id, 0, -1, true)]);
    out.queueState = state;
    out.attempts = [...(job.data.prior ?? []), ...parseAttempts(logs)];
    if (state === 'failed') out.status = 'failed';
    if (job.failedReason) out.error = job.failedReason;
    else {
      const last = out.attempts[out.attempts.length - 1];
      if (last?.error) out.error = last.error;
    }
    if (state === 'delayed')
      out.nextAttemptAt = new Date(job.timestamp + (job.opts.delay ?? 0)).toISOString();
    return out;
  }

  async function detail(eventId: string, at?: Partition): Promise<EventDetail | undefined> {
    const found = await load(eventId, at);
    if (!found) return undefined;
    const { record, marks, status } = found;
    const deliveryKeys = [...new Set([...Object.keys(marks ?? {}), ...Object.keys(status)])];
    const deliveries = await Promise.all(
      deliveryKeys.map((k) =>
        deliveryStatus(
          eventId,
          k,
          marks?.[k],
          status[k] !== undefined ? parseStatusEntry(status[k]) : undefined,
        ),
      ),
    );
    deliveries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const summary: EventSummary = {
      id: record.id,
      source: record.source,
      receivedAt: record.timestamp,
      status: statusOf(marks, status),
    };
    const type = (record.requestContext as { eventType?: string }).eventType;
    if (type !== undefined) summary.type = type;
    if (record.requestContext.dedupeKey !== undefined) summary.dedupeKey = record.requestContext.dedupeKey;
    return { ...summary, envelope: record, deliveries };
  }

  const history: Omit<RedisHistory, 'replayRestored'> = {
    async get(idOrKey: string) {
      await store.ready();
      const id = await resolveId(idOrKey);
      return id ? detail(id) : undefined;
    },

    async list(query: EventQuery = {}) {
      await store.ready();
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_EVENT_LIMIT), MAX_EVENT_LIMIT);
      const from = query.cursor !== undefined ? decodeEventCursor(query.cursor) : undefined;
      const partitions = await store.allPartitions();
      // One partition (every install before partitions, and the default): the cursor is the stream id alone.
      const cursorOf = (e: IndexEntry): string =>
        encodeEventCursor(
          partitions.length > 1 ? { streamId: e.streamId, prefix: e.partition.prefix } : e.streamId,
        );
      const entries = mergedIntake(redis, partitions, from, query.until, query.since, SCAN_BATCH);
      const items: EventSummary[] = [];
      let scanned = 0;
      let last: IndexEntry | undefined;
      const q = query.q?.toLowerCase();
      for (;;) {
        const batch: IndexEntry[] = [];
        for (let n = 0; n < SCAN_BATCH; n++) {
          const next = await entries.next();
          if (next.done) break;
          batch.push(next.value);
        }
        if (!batch.length) return { items, nextCursor: null };
        const candidates = batch
          .map((e) => ({ e, streamId: e.streamId, f: fieldsOf(e.raw) }))
          .filter(
            ({ f }) => f.i && (!query.source || f.s === query.source) && (!query.type || f.t === query.type),
          );
        // Marks (the start of the record) and status of each candidate: one round trip
        // per partition (a pipeline stays in one slot of a cluster).
        const byPartition = new Map<string, typeof candidates>();
        for (const c of candidates) {
          const list = byPartition.get(c.e.partition.prefix);
          if (list) list.push(c);
          else byPartition.set(c.e.partition.prefix, [c]);
        }
        const replyOf = new Map<(typeof candidates)[number], [unknown, unknown]>();
        await Promise.all(
          [...byPartition.values()].map(async (list) => {
            const keys = list[0]!.e.partition.keys;
            const pipe = redis.pipeline();
            for (const { f } of list) {
              if (q && !(f.i!.toLowerCase() === q || f.k?.toLowerCase() === q))
                pipe.getBuffer(keys.record(f.i!));
              else pipe.getrangeBuffer(keys.record(f.i!), 0, 2047);
              pipe.hgetall(keys.status(f.i!));
            }
            const replies = (await pipe.exec()) ?? [];
            list.forEach((c, i) => replyOf.set(c, [replies[2 * i]?.[1], replies[2 * i + 1]?.[1]]));
          }),
        );
        for (const candidate of candidates) {
          const { streamId, f, e } = candidate;
          const keys = e.partition.keys;
          const [rawValue, rawStatus] = replyOf.get(candidate) ?? [];
          const value = rawValue as Buffer | null | undefined;
          const status = (rawStatus as Record<string, string> | undefined) ?? {};
          // Expired (retention) but not yet trimmed from the index: gone.
          if (!value || value.length === 0) continue;
          if (q && !(f.i!.toLowerCase() === q || f.k?.toLowerCase() === q)) {
            const { record } = decodeStored(value);
            if (!(record.requestPayload.body ?? '').toLowerCase().includes(q)) continue;
          }
          let marks: Marks | undefined;
          try {
            marks = decodeMarks(value);
          } catch {
            marks = decodeStored((await redis.getBuffer(keys.record(f.i!))) ?? value).marks;
          }
          const summary: EventSummary = {
            id: f.i!,
            source: f.s ?? '',
            receivedAt: new Date(receivedAt(f.i!, streamId)).toISOString(),
            status: statusOf(marks, status),
          };
          if (f.t !== undefined) summary.type = f.t;
          if (f.k !== undefined) summary.dedupeKey = f.k;
          if (query.status && summary.status !== query.status) continue;
          // A cursor only when another event matches: with a filter, an older entry
          // in the index is no promise of one, and the last page would come back empty.
          if (items.length === limit) return { items, nextCursor: cursorOf(last!) };
          items.push(summary);
          last = e;
        }
        scanned += batch.length;
        if (batch.length < SCAN_BATCH) return { items, nextCursor: null };
        // Looked through enough for one answer: the caller continues from here (the
        // oldest entry looked at, which the merge order puts last in the batch).
        if (scanned >= MAX_SCAN) return { items, nextCursor: cursorOf(batch[batch.length - 1]!) };
      }
    },

    replay: (eventId, options = {}) => replayEvent(eventId, options),

    current: (ids, at) => Promise.all(ids.map((id) => detail(id, at))),

    async unlogged(filter, after, limit) {
      // Events Redis has that the log may not: not settled yet (intake) or settled
      // and not yet written (log stream). Both are short while the log keeps up.
      const found = new Map<string, { id: string; at: number; f: Record<string, string> }>();
      const streams = (await store.allPartitions()).flatMap((p) => [p.keys.intake, p.keys.log]);
      for (const stream of streams) {
        const entries = (await redis.xrevrange(stream, '+', '-', 'COUNT', MAX_UNLOGGED)) as [
          string,
          string[],
        ][];
        for (const [streamId, raw] of entries) {
          const f = fieldsOf(raw);
          if (!f.i || found.has(f.i)) continue;
          found.set(f.i, { id: f.i, at: receivedAt(f.i, streamId), f });
        }
      }
      const candidates = [...found.values()]
        .filter(({ id, at, f }) => {
          if (filter.since !== undefined && at < filter.since) return false;
          if (filter.until !== undefined && at >= filter.until) return false;
          if (after && (at > after.receivedAt || (at === after.receivedAt && id >= after.id))) return false;
          // Log-stream entries of a later status change carry only the id.
          if (filter.source !== undefined && f.s !== undefined && f.s !== filter.source) return false;
          if (filter.type !== undefined && f.s !== undefined && f.t !== filter.type) return false;
          return true;
        })
        .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const items: EventSummary[] = [];
      const seen = new Set<string>();
      const q = filter.q?.toLowerCase();
      for (let i = 0; i < candidates.length && i < MAX_UNLOGGED_LOADS && items.length <= limit; i += 100) {
        const chunk = candidates.slice(i, i + 100);
        const details = await Promise.all(chunk.map((c) => detail(c.id)));
        for (const [j, found] of details.entries()) {
          if (!found) continue;
          // The intake's index fields, as the Redis-only listing shows them.
          const { f } = chunk[j]!;
          const d = {
            ...found,
            ...(f.t !== undefined ? { type: f.t } : {}),
            ...(f.k !== undefined ? { dedupeKey: f.k } : {}),
          };
          seen.add(d.id);
          if (filter.source !== undefined && d.source !== filter.source) continue;
          if (filter.type !== undefined && d.type !== filter.type) continue;
          if (filter.status !== undefined && d.status !== filter.status) continue;
          if (
            q &&
            !(
              d.id.toLowerCase() === q ||
              d.dedupeKey?.toLowerCase() === q ||
              (d.envelope.requestPayload.body ?? '').toLowerCase().includes(q)
            )
          )
            continue;
          const { envelope: _e, deliveries: _d, ...summary } = d;
          items.push(summary);
        }
      }
      return { items: items.slice(0, limit + 1), seen };
    },
  };

  /**
   * Delivers the event again. `restore`: the event as the log has it, for an event
   * Redis let go of; it is put back (with its deliveries' history) in the same
   * script that marks the new deliveries pending, so the log writer cannot let go
   * of it again in between.
   */
  async function replayEvent(
    eventId: string,
    options: { destination?: string },
    restore?: EventDetail,
  ): Promise<ReplayResult> {
    await store.ready();
    const event = restore ?? (await detail(eventId));
    if (!event) throw new EventNotFoundError(eventId);
    let destinations: string[];
    if (options.destination !== undefined) {
      if (!config.destinations[options.destination]) throw new UnknownDestinationError(options.destination);
      destinations = [options.destination];
    } else {
      destinations = routes.match(event.envelope) ?? [];
    }
    const replayId = `replay-${ulid()}`;
    const keep = Math.max(config.retention.events, config.retention.deadLetters);
    const planned = destinations.map((destination) => ({
      destination,
      key: `${destination}~${replayId}`,
      base: event.deliveries
        .filter((d) => d.destination === destination)
        .reduce((n, d) => n + d.attempts.length, 0),
    }));
    const at = await store.locate(eventId);
    const ok = await markPending(
      store,
      at.keys,
      eventId,
      planned.map((p) => p.key),
      keep,
      restore && {
        value: encodeRouted(restore.envelope, {}),
        statuses: restore.deliveries.map((d) => [
          deliveryKeyOf(d.id),
          { state: d.status, attempts: d.attempts },
        ]),
      },
    );
    if (!ok) throw new EventNotFoundError(eventId);
    const ids: string[] = [];
    for (const p of planned) {
      const id = await addDelivery(store, config, {
        eventId,
        source: event.source,
        destination: p.destination,
        ...(at.prefix !== store.prefix ? { p: at.prefix } : {}),
        key: p.key,
        base: p.base,
        replayOf: deliveryId(eventId, p.destination),
      });
      ids.push(id);
    }
    return { eventId, deliveries: ids };
  }

  return { ...history, replayRestored: (event, options) => replayEvent(event.id, options, event) };
}

export { parseDeliveryId };

import { Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import { InvalidCursorError } from '../errors.js';
import { parseAttempts, type AttemptRecord } from '../queue/attempts.js';
import type { Store } from '../queue/delivery-queues.js';
import { markPending, writeDeliveryStatus } from '../queue/event-status.js';
import type { EventLog } from '../event-log/log.js';
import { parseDeliveryId } from '../queue/ids.js';
import { attemptsSent, type DeliveryJobData } from '../queue/jobs.js';
import { decodeStored, encodeRouted } from '../queue/stored-event.js';
import type { Envelope } from '../record/envelope.js';

/**
 * The dead-letter store is the failed set of each destination's queue: a delivery
 * lands there after its last attempt or at once on a permanent error, and stays
 * `retention.deadLetters` (job `removeOnFail` age plus the worker's sweep). Its
 * record is the event's one stored copy, kept as long as the dead letter.
 */
export interface DeadLetterFilter {
  destination?: string;
  source?: string;
  /** Failed at or after this time. */
  since?: Date | number;
}

export interface DeadLetterQuery extends DeadLetterFilter {
  /** Default 50, at most 1000. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface DeadLetterSummary {
  /** The delivery id, `<eventId>~<destination>[~<replayId>]`. */
  id: string;
  eventId: string;
  source: string;
  destination: string;
  /** ISO time of the failure that dead-lettered it. */
  failedAt: string;
  attemptsMade: number;
  /** The last error. */
  error: string;
  replayOf?: string;
}

export interface DeadLetter extends DeadLetterSummary {
  /** Absent when the event's record is gone (it outlived `retention.deadLetters` only in the queue). */
  envelope?: Envelope;
  /** Every attempt, oldest first, with its time and error. */
  attempts: AttemptRecord[];
}

export interface DeadLetterPage {
  items: DeadLetterSummary[];
  nextCursor?: string;
}

export interface BulkResult {
  /** Ids acted on. */
  done: string[];
  /** Ids that were not (or no longer) dead letters. */
  notFound: string[];
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** Ids read per step of a walk over a failed set (and jobs loaded together). */
const BATCH = 200;

export interface DeadLetterStore {
  list(query?: DeadLetterQuery): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Ids matching a filter (every page), for bulk replay and purge. */
  ids(filter?: DeadLetterFilter): Promise<string[]>;
  /** Back to its queue with fresh attempts, same delivery id and event id; atomic per id. */
  replay(target: readonly string[] | DeadLetterFilter): Promise<BulkResult>;
  purge(target: readonly string[] | DeadLetterFilter): Promise<BulkResult>;
  /** Dead letters per destination (cheap enough to sample). */
  countByDestination(): Promise<Map<string, number>>;
}

interface Cursor {
  score: number;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.score, c.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const [score, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof score === 'number' && typeof id === 'string') return { score, id };
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

function sinceMs(since: Date | number | undefined): number | undefined {
  if (since === undefined) return undefined;
  return typeof since === 'number' ? since : since.getTime();
}

/** Newer first; equal times in reverse id order. */
function before(a: Cursor, b: Cursor): boolean {
  return a.score > b.score || (a.score === b.score && a.id > b.id);
}

/**
 * With an event log, a dead letter's job stays in its destination's failed set for
 * `retention.deadLetters` (it is small: ids and attempts), while the event's record
 * may live only in the log: it is read from there, and put back into Redis for a
 * replay.
 */
export function createDeadLetterStore(store: Store, config: Config, log?: EventLog): DeadLetterStore {
  const keep = Math.max(config.retention.events, config.retention.deadLetters);
  const failedKey = (destination: string) => store.queue(destination).keys.failed!;

  const summarize = (job: Job<DeliveryJobData>, failedAt: number): DeadLetterSummary => {
    const out: DeadLetterSummary = {
      id: job.id!,
      eventId: job.data.eventId,
      source: job.data.source,
      destination: job.data.destination,
      failedAt: new Date(job.finishedOn ?? failedAt).toISOString(),
      attemptsMade: attemptsSent(job.data, job.attemptsMade),
      error: job.failedReason ?? '',
    };
    if (job.data.replayOf) out.replayOf = job.data.replayOf;
    return out;
  };

  /**
   * One destination's failed set, newest first, after `cursor`. Ids are read `size` at a
   * time and their jobs loaded together: the reads leave back to back, so a page costs one
   * round trip rather than one per dead letter.
   */
  async function* walkOne(destination: string, filter: DeadLetterFilter, size: number, cursor?: Cursor) {
    const min = sinceMs(filter.since) ?? '-inf';
    const max = cursor ? cursor.score : '+inf';
    const queue = store.queue(destination);
    for (let offset = 0; ; offset += size) {
      const flat = await store.redis.zrevrangebyscore(
        failedKey(destination),
        max,
        min,
        'WITHSCORES',
        'LIMIT',
        offset,
        size,
      );
      const page: Cursor[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const at = { score: Number(flat[i + 1]), id: flat[i]! };
        if (!cursor || before(cursor, at)) page.push(at);
      }
      const jobs = await Promise.all(page.map(({ id }) => Job.fromId<DeliveryJobData>(queue, id)));
      for (let i = 0; i < page.length; i++) {
        const job = jobs[i];
        if (!job?.data?.eventId) continue;
        if (filter.source && job.data.source !== filter.source) continue;
        yield { job, score: page[i]!.score };
      }
      if (flat.length < size * 2) return;
    }
  }

  /** Every destination's failed set merged, newest first; `size` ids per read of each. */
  async function* walk(filter: DeadLetterFilter, size: number, cursor?: Cursor) {
    const destinations = filter.destination ? [filter.destination] : await store.destinations();
    const walkers = destinations.map((d) => walkOne(d, filter, size, cursor)[Symbol.asyncIterator]());
    const heads = await Promise.all(walkers.map((w) => w.next()));
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (h.done) continue;
        if (best < 0) best = i;
        else {
          const b = heads[best]!.value!;
          if (before({ score: h.value.score, id: h.value.job.id! }, { score: b.score, id: b.job.id! }))
            best = i;
        }
      }
      if (best < 0) return;
      yield heads[best]!.value!;
      heads[best] = await walkers[best]!.next();
    }
  }

  async function targetIds(target: readonly string[] | DeadLetterFilter): Promise<string[]> {
    return Array.isArray(target) ? [...new Set(target as string[])] : dead.ids(target as DeadLetterFilter);
  }

  async function failedJob(id: string) {
    const destination = parseDeliveryId(id)?.destination;
    if (!destination) return undefined;
    // Membership first: a job read before it reached the failed set would lack its final error.
    const score = await store.redis.zscore(failedKey(destination), id);
    if (score === null) return undefined;
    const job = await Job.fromId<DeliveryJobData>(store.queue(destination), id);
    return job?.data?.eventId ? { job, score: Number(score), destination } : undefined;
  }

  const dead: DeadLetterStore = {
    async list(query = {}) {
      await store.ready();
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const items: DeadLetterSummary[] = [];
      let last: Cursor | undefined;
      let more = false;
      for await (const { job, score } of walk(query, Math.min(limit + 1, BATCH), cursor)) {
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(summarize(job, score));
        last = { score, id: job.id! };
      }
      return more && last ? { items, nextCursor: encodeCursor(last) } : { items };
    },

    async get(id) {
      await store.ready();
      const found = await failedJob(id);
      if (!found) return undefined;
      const { job, score, destination } = found;
      const [{ logs }, value] = await Promise.all([
        store.queue(destination).getJobLogs(id, 0, -1, true),
        store.redis.getBuffer(store.partitionAt(job.data.p).keys.record(job.data.eventId)),
      ]);
      const out: DeadLetter = {
        ...summarize(job, score),
        attempts: [...(job.data.prior ?? []), ...parseAttempts(logs)],
      };
      if (value) out.envelope = decodeStored(value).record;
      else if (log) {
        const logged = await log.get(job.data.eventId);
        if (logged) out.envelope = logged.envelope;
      }
      return out;
    },

    async ids(filter = {}) {
      await store.ready();
      const out: string[] = [];
      for await (const { job } of walk(filter, BATCH)) out.push(job.id!);
      return out;
    },

    async replay(target) {
      await store.ready();
      const result: BulkResult = { done: [], notFound: [] };
      for (const id of await targetIds(target)) {
        const found = await failedJob(id);
        if (!found) {
          result.notFound.push(id);
          continue;
        }
        const { job } = found;
        const data = job.data;
        // Attempt numbers count on from the attempts the dead letter already made (its
        // `prior` stays in the job and is counted again from there).
        const made = attemptsSent(data, job.attemptsMade) - (data.prior?.length ?? 0);
        const { dead: _dead, probes: _probes, ...rest } = data;
        const keys = store.partitionAt(data.p).keys;
        // Marked pending before the job runs again, so the log writer does not let go of
        // the record meanwhile; an event Redis already let go of (the log has it) is put
        // back in the same step.
        const logged =
          log && !(await store.redis.exists(keys.record(data.eventId)))
            ? await log.get(data.eventId)
            : undefined;
        const marked = await markPending(
          store,
          keys,
          data.eventId,
          [data.key],
          keep,
          logged && {
            value: encodeRouted(logged.envelope, {}),
            statuses: logged.deliveries.map((d) => [d.key, { state: d.state, attempts: d.attempts }]),
          },
        );
        await job.updateData({ ...rest, base: made });
        // BullMQ's retry moves failed -> wait in one script: the dead letter leaves
        // the store only in the same step that re-enqueues it.
        try {
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        } catch (err) {
          // Not a dead letter any more (replayed or purged meanwhile): anything else is Redis's, and the caller's to see.
          if ((await store.redis.zscore(failedKey(found.destination), id)) === null) {
            // Purged meanwhile: it is no longer pending. (Replayed by another caller: it is.)
            if (marked && !(await Job.fromId(store.queue(found.destination), id)))
              await writeDeliveryStatus(store, keys, data.eventId, data.key, { state: 'failed' }, keep);
            result.notFound.push(id);
            continue;
          }
          throw err;
        }
        result.done.push(id);
      }
      return result;
    },

    async purge(target) {
      await store.ready();
      const result: BulkResult = { done: [], notFound: [] };
      for (const id of await targetIds(target)) {
        const found = await failedJob(id);
        if (!found) {
          result.notFound.push(id);
          continue;
        }
        const removed = await store.queue(found.destination).remove(id);
        (removed ? result.done : result.notFound).push(id);
      }
      return result;
    },

    async countByDestination() {
      await store.ready();
      const counts = new Map<string, number>();
      for (const d of await store.destinations()) {
        const n = await store.redis.zcard(failedKey(d));
        if (n) counts.set(d, n);
      }
      return counts;
    },
  };
  return dead;
}

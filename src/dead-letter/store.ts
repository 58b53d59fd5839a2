import { Job } from 'bullmq';
import { InvalidCursorError } from '../errors.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import type { Envelope } from '../record/envelope.js';
import { parseAttempts, type AttemptRecord } from '../worker/attempts.js';
import { parseDeliveryId } from '../worker/ids.js';
import type { Queues } from '../worker/queues.js';

/**
 * The dead-letter store is the failed set of the `deliveries` queue: a delivery
 * lands there after its last attempt or at once on a permanent error, and stays
 * `retention.deadLetters` (job `removeOnFail` age plus the worker's janitor). One
 * place, so bull-board, the CLI and the admin API always agree, and a bull-board
 * "retry" is the same operation as `dlq replay`.
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
  /** The delivery job id, `<eventId>~<destination>[~<replayId>]`. */
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
  envelope: Envelope;
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
const BATCH = 200;

export interface DeadLetterStore {
  list(query?: DeadLetterQuery): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Ids matching a filter (every page), for bulk replay and purge. */
  ids(filter?: DeadLetterFilter): Promise<string[]>;
  /** Back to the queue with fresh attempts, same job id and event id; atomic per id. */
  replay(target: readonly string[] | DeadLetterFilter): Promise<BulkResult>;
  purge(target: readonly string[] | DeadLetterFilter): Promise<BulkResult>;
  /** Dead letters per destination, from the ids alone (cheap enough to sample). */
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

export function createDeadLetterStore(queues: Queues): DeadLetterStore {
  const queue = queues.deliveries;
  const failedKey = queue.keys.failed!;

  const summarize = (job: Job<DeliveryJobData>, failedAt: number): DeadLetterSummary => {
    const out: DeadLetterSummary = {
      id: job.id!,
      eventId: job.data.eventId,
      source: job.data.source,
      destination: job.data.destination,
      failedAt: new Date(job.finishedOn ?? failedAt).toISOString(),
      attemptsMade: job.attemptsMade,
      error: job.failedReason ?? '',
    };
    if (job.data.replayOf) out.replayOf = job.data.replayOf;
    return out;
  };

  /**
   * Walks the failed set newest first (score = failure time), after `cursor`,
   * loading only jobs whose id passes the destination filter.
   */
  async function* walk(filter: DeadLetterFilter, cursor?: Cursor) {
    const min = sinceMs(filter.since) ?? '-inf';
    const max = cursor ? cursor.score : '+inf';
    for (let offset = 0; ; offset += BATCH) {
      const flat = await queues.redis.zrevrangebyscore(
        failedKey,
        max,
        min,
        'WITHSCORES',
        'LIMIT',
        offset,
        BATCH,
      );
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i]!;
        const score = Number(flat[i + 1]);
        // Equal scores come in reverse id order: those >= the cursor's id were on earlier pages.
        if (cursor && score === cursor.score && id >= cursor.id) continue;
        if (filter.destination && parseDeliveryId(id)?.destination !== filter.destination) continue;
        const job = (await Job.fromId(queue, id)) as Job<DeliveryJobData> | undefined;
        if (!job?.data?.record) continue;
        if (filter.source && job.data.source !== filter.source) continue;
        yield { job, score };
      }
      if (flat.length < BATCH * 2) return;
    }
  }

  async function targetIds(target: readonly string[] | DeadLetterFilter): Promise<string[]> {
    return Array.isArray(target) ? [...new Set(target as string[])] : store.ids(target as DeadLetterFilter);
  }

  const store: DeadLetterStore = {
    async list(query = {}) {
      await queues.ready();
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const items: DeadLetterSummary[] = [];
      let last: Cursor | undefined;
      let more = false;
      for await (const { job, score } of walk(query, cursor)) {
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
      await queues.ready();
      // Membership first: a job read before it reached the failed set would lack its final error.
      const score = await queues.redis.zscore(failedKey, id);
      if (score === null) return undefined;
      const job = (await Job.fromId(queue, id)) as Job<DeliveryJobData> | undefined;
      if (!job?.data?.record) return undefined;
      const { logs } = await queue.getJobLogs(id, 0, -1, true);
      return { ...summarize(job, Number(score)), envelope: job.data.record, attempts: parseAttempts(logs) };
    },

    async ids(filter = {}) {
      await queues.ready();
      const out: string[] = [];
      for await (const { job } of walk(filter)) out.push(job.id!);
      return out;
    },

    async replay(target) {
      await queues.ready();
      const result: BulkResult = { done: [], notFound: [] };
      for (const id of await targetIds(target)) {
        const job = await Job.fromId(queue, id);
        try {
          if (!job) throw new Error('gone');
          // BullMQ's retry moves failed -> wait in one script: the dead letter leaves
          // the store only in the same step that re-enqueues it.
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          result.done.push(id);
        } catch {
          result.notFound.push(id);
        }
      }
      return result;
    },

    async purge(target) {
      await queues.ready();
      const result: BulkResult = { done: [], notFound: [] };
      for (const id of await targetIds(target)) {
        // Only a job still in the failed set: a replayed delivery is no longer ours to delete.
        if ((await queues.redis.zscore(failedKey, id)) === null) {
          result.notFound.push(id);
          continue;
        }
        const removed = await queue.remove(id);
        (removed ? result.done : result.notFound).push(id);
      }
      return result;
    },

    async countByDestination() {
      await queues.ready();
      const counts = new Map<string, number>();
      for (let start = 0; ; start += 1000) {
        const ids = await queues.redis.zrange(failedKey, String(start), String(start + 999));
        for (const id of ids) {
          const d = parseDeliveryId(id)?.destination;
          if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
        }
        if (ids.length < 1000) return counts;
      }
    },
  };
  return store;
}

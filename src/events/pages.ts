import { Job, type JobState } from 'bullmq';
import { decodeTime } from 'ulid';
import { InvalidCursorError } from '../errors.js';
import type { EventJobData } from '../queue/jobs.js';
import type { Queues } from '../worker/queues.js';
import type { Envelope } from '../record/envelope.js';
import type { DeliveryState, EventSummary } from './store.js';

/**
 * Pages of accepted events, newest first by event id (a ULID, so by receipt time),
 * with an opaque cursor = the last id returned: the events store's `list`, so
 * `GET /admin/events` and `hookgate events list` give the same pages. A cursor not
 * handed out here throws `InvalidCursorError`.
 *
 * Unfinished events are few and read whole. Completed ones are a sorted set scored by
 * finish time, walked newest first by ids only; since an event finishes after it was
 * received, the walk stops once the finish times are older than the receipt time of
 * the oldest id the page still needs (less a margin for clock skew between the
 * ingress and worker hosts).
 */
export interface EventPage {
  items: EventSummary[];
  nextCursor?: string;
}

export interface EventPageQuery {
  source?: string;
  limit?: number;
  cursor?: string;
  /** Completed ids read per Redis call (tests make it small to cross batch edges). */
  batch?: number;
}

export const DEFAULT_EVENT_LIMIT = 50;
export const MAX_EVENT_LIMIT = 1000;
// Read in lifecycle order, then `completed`: a job moving on during the walk is met again later, not missed.
const UNFINISHED: JobState[] = ['waiting', 'prioritized', 'waiting-children', 'delayed', 'active', 'failed'];
const DEFAULT_BATCH = 500;
const CLOCK_SKEW_MS = 5 * 60_000;

export function encodeEventCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id || encodeEventCursor(id) !== cursor || !/^[\x21-\x7e]+$/.test(id)) throw new InvalidCursorError();
  return id;
}

function receiptTime(id: string): number | undefined {
  try {
    return decodeTime(id);
  } catch {
    return undefined;
  }
}

export function eventSummary(record: Envelope, state: DeliveryState): EventSummary {
  return { id: record.id, source: record.source, receivedAt: record.timestamp, state };
}

interface Candidate {
  id: string;
  state: JobState;
}

export async function listEventPage(queues: Queues, query: EventPageQuery = {}): Promise<EventPage> {
  await queues.ready();
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_EVENT_LIMIT), MAX_EVENT_LIMIT);
  const before = query.cursor === undefined ? undefined : decodeEventCursor(query.cursor);
  const want = limit + 1;
  const batch = query.batch ?? DEFAULT_BATCH;
  const queue = queues.events;
  let top: Candidate[] = [];

  // A job finishing during the walk can show up twice (unfinished, then completed; or
  // shifted into the next batch): the first sighting counts.
  const seen = new Set<string>();
  const consider = async (ids: string[], state: JobState) => {
    const older = ids.filter((id) => !seen.has(id) && (before === undefined || id < before));
    for (const id of older) seen.add(id);
    if (older.length === 0) return;
    let kept = older;
    if (query.source !== undefined) {
      // The job name is the source name: one field per job, not the whole record.
      const pipeline = queues.redis.pipeline();
      for (const id of older) pipeline.hget(queue.toKey(id), 'name');
      const names = (await pipeline.exec()) ?? [];
      kept = older.filter((_, i) => names[i]?.[1] === query.source);
    }
    top = [...top, ...kept.map((id) => ({ id, state }))]
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, want);
  };

  for (const state of UNFINISHED) await consider(await queue.getRanges([state], 0, -1, false), state);

  const completedKey = queue.keys.completed!;
  for (let offset = 0; ; offset += batch) {
    const flat = await queues.redis.zrevrangebyscore(
      completedKey,
      '+inf',
      '-inf',
      'WITHSCORES',
      'LIMIT',
      offset,
      batch,
    );
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) ids.push(flat[i]!);
    await consider(ids, 'completed');
    if (flat.length < batch * 2) break;
    const oldestFinish = Number(flat[flat.length - 1]);
    const needed = top.length === want ? receiptTime(top[want - 1]!.id) : undefined;
    if (needed !== undefined && oldestFinish < needed - CLOCK_SKEW_MS) break;
  }

  const page = top.slice(0, limit);
  const items: EventSummary[] = [];
  for (const { id, state } of page) {
    const job = (await Job.fromId(queue, id)) as Job<EventJobData> | undefined;
    const record = job?.data?.record;
    // Removed by retention between the walk and now: simply not listed.
    if (!record) continue;
    items.push(eventSummary(record, state));
  }
  const last = page[page.length - 1];
  return top.length === want && last ? { items, nextCursor: encodeEventCursor(last.id) } : { items };
}

import type { Cluster, Redis } from 'ioredis';
import { eventKeys } from '../../src/queue/keys.js';
import { decodeStored, type Marks } from '../../src/queue/stored-event.js';
import type { Envelope } from '../../src/record/envelope.js';

/** An accepted event as Redis holds it: its intake entry and its one stored record. */
export interface StoredEntry {
  /** The intake stream entry's id (`<ms>-<seq>`). */
  streamId: string;
  eventId: string;
  source: string;
  type?: string;
  dedupeKey?: string;
  record: Envelope;
  /** Set once a worker has routed the event. */
  marks?: Marks;
}

/** The stored record of one event, undefined when Redis has none. */
export async function storedEvent(
  redis: Redis | Cluster,
  prefix: string,
  eventId: string,
): Promise<{ record: Envelope; marks?: Marks } | undefined> {
  const value = await redis.getBuffer(eventKeys(prefix).record(eventId));
  return value ? decodeStored(value) : undefined;
}

/**
 * Every event accepted under `prefix`, oldest first: the intake stream's entries, each
 * with its stored record. An entry without a record throws: the ingress writes both
 * in one script, so that would be an event half stored (or lost).
 */
export async function storedEvents(redis: Redis | Cluster, prefix: string): Promise<StoredEntry[]> {
  const keys = eventKeys(prefix);
  const entries = (await redis.xrange(keys.intake, '-', '+')) as [string, string[]][];
  const out: StoredEntry[] = [];
  for (const [streamId, raw] of entries) {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) f[raw[i]!] = raw[i + 1]!;
    const eventId = f.i;
    if (eventId === undefined) throw new Error(`intake entry ${streamId} has no event id`);
    const stored = await storedEvent(redis, prefix, eventId);
    if (!stored) throw new Error(`intake entry ${streamId} (event ${eventId}) has no stored record`);
    const entry: StoredEntry = { streamId, eventId, source: f.s ?? '', record: stored.record };
    if (f.t !== undefined) entry.type = f.t;
    if (f.k !== undefined) entry.dedupeKey = f.k;
    if (stored.marks) entry.marks = stored.marks;
    out.push(entry);
  }
  return out;
}

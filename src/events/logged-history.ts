import { InvalidCursorError } from '../errors.js';
import type { EventLog } from '../event-log/log.js';
import type { LoggedEvent, LoggedSummary, LogPosition } from '../event-log/types.js';
import { deliveryId } from '../queue/ids.js';
import {
  DEFAULT_EVENT_LIMIT,
  EventNotFoundError,
  isEventId,
  MAX_EVENT_LIMIT,
  type EventDetail,
  type EventHistory,
  type EventSummary,
  type RedisHistory,
} from './history.js';

/**
 * The history with an event log: PostgreSQL has every event that was settled and
 * written; Redis has the events in flight, which are newer there. A read asks both
 * and prefers Redis for an event both have, so an event not yet in the log (the
 * log lags, or PostgreSQL is down) is still found, and one Redis let go of (its
 * deliveries final, or expired) still is too.
 */
export function createLoggedHistory(redis: RedisHistory, log: EventLog): EventHistory {
  async function fromLog(idOrKey: string): Promise<EventDetail | undefined> {
    const found = isEventId(idOrKey) ? await log.get(idOrKey) : undefined;
    return detailOf(found ?? (await log.getByDedupeKey(idOrKey)));
  }

  return {
    async get(idOrKey) {
      return (await redis.get(idOrKey)) ?? fromLog(idOrKey);
    },

    async list(query = {}) {
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_EVENT_LIMIT), MAX_EVENT_LIMIT);
      const after = query.cursor !== undefined ? decodeLogCursor(query.cursor) : undefined;
      const filter = {
        ...(query.source !== undefined ? { source: query.source } : {}),
        ...(query.type !== undefined ? { type: query.type } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.since !== undefined ? { since: query.since } : {}),
        ...(query.until !== undefined ? { until: query.until } : {}),
        ...(query.q !== undefined && query.q !== '' ? { q: query.q } : {}),
      };
      // Redis first, then the log, not both at once: the writer commits an event to the
      // log before Redis lets go of it, so an event Redis no longer had when it was read
      // is in the log when that is read after. Read together, an event written and let go
      // of in between was missing from both (a page without an event that had been there:
      // 1 in 10 runs of test/admin/event-filters.test.ts on a loaded machine).
      const inRedis = await redis.unlogged(filter, after, limit);
      const logged = await log.list(filter, after, limit);
      const byId = new Map<string, EventSummary>();
      for (const row of logged) if (!inRedis.seen.has(row.id)) byId.set(row.id, summaryOf(row));
      for (const item of inRedis.items) byId.set(item.id, item);
      const merged = [...byId.values()].sort(newestFirst);
      const items = merged.slice(0, limit);
      const more = merged.length > limit || logged.length > limit;
      const last = items[items.length - 1];
      return {
        items,
        nextCursor:
          more && last ? encodeLogCursor({ receivedAt: Date.parse(last.receivedAt), id: last.id }) : null,
      };
    },

    async replay(eventId, options = {}) {
      // Redis first (it reads the event once); one it has let go of, even while this
      // ran, comes back from the log.
      try {
        return await redis.replay(eventId, options);
      } catch (err) {
        if (!(err instanceof EventNotFoundError)) throw err;
      }
      const event = await fromLog(eventId);
      if (!event || event.id !== eventId) throw new EventNotFoundError(eventId);
      return redis.replayRestored(event, options);
    },
  };
}

function newestFirst(a: EventSummary, b: EventSummary): number {
  const ta = Date.parse(a.receivedAt);
  const tb = Date.parse(b.receivedAt);
  return tb - ta || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function summaryOf(row: LoggedSummary): EventSummary {
  const out: EventSummary = {
    id: row.id,
    source: row.source,
    receivedAt: new Date(row.receivedAt).toISOString(),
    status: row.status,
  };
  if (row.type !== undefined) out.type = row.type;
  if (row.dedupeKey !== undefined) out.dedupeKey = row.dedupeKey;
  return out;
}

/** An event as the log has it, in the shape `events show` and the admin API give. */
export function detailOf(event: LoggedEvent | undefined): EventDetail | undefined {
  if (!event) return undefined;
  const { envelope, deliveries, ...rest } = event;
  return {
    ...summaryOf(rest),
    envelope,
    deliveries: deliveries.map((d) => ({
      id: deliveryId(event.id, d.key),
      destination: d.destination,
      status: d.state,
      attempts: d.attempts,
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.replayOf !== undefined ? { replayOf: d.replayOf } : {}),
    })),
  };
}

/** `<ms>.<id>`: the last item of a page; the next page is strictly older. */
export function encodeLogCursor(at: LogPosition): string {
  return Buffer.from(`${at.receivedAt}.${at.id}`, 'utf8').toString('base64url');
}

export function decodeLogCursor(cursor: string): LogPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,15})\.([\x21-\x7e]{1,200})$/.exec(text);
  if (!m || encodeLogCursor({ receivedAt: Number(m[1]), id: m[2]! }) !== cursor)
    throw new InvalidCursorError();
  return { receivedAt: Number(m[1]), id: m[2]! };
}

import { Job, type JobState } from 'bullmq';
import { ulid } from 'ulid';
import type { Config } from '../config/schema.js';
import type { DeliveryJobData, EventJobData } from '../queue/jobs.js';
import { deliveryId } from '../worker/ids.js';
import type { Envelope } from '../record/envelope.js';
import { deliveryAttempts, type AttemptRecord } from '../worker/attempts.js';
import { enqueueDeliveries } from '../worker/enqueue.js';
import { eventDeliveriesKey, type Queues } from '../worker/queues.js';
import { createRouteTable } from '../worker/routing.js';
import { eventSummary, listEventPage, type EventPage, type EventPageQuery } from './pages.js';

/**
 * Accepted events and what became of them. An event is the `events` job (kept
 * `retention.events`); its deliveries are found through the per-event index the
 * router writes, so replays (whose ids carry a suffix) are found too.
 */
export type DeliveryState = JobState | 'unknown';

export interface DeliveryStatus {
  id: string;
  destination: string;
  /** `failed` = in the dead-letter store; `delayed` = waiting for its next attempt. */
  state: DeliveryState;
  attemptsMade: number;
  attempts: AttemptRecord[];
  /** Last error, when there was one. */
  error?: string;
  finishedAt?: string;
  replayOf?: string;
}

export interface EventSummary {
  id: string;
  source: string;
  receivedAt: string;
  /** The event job: `completed` once routed; `unknown` when only its deliveries remain. */
  state: DeliveryState;
}

export interface EventDetail extends EventSummary {
  envelope: Envelope;
  deliveries: DeliveryStatus[];
}

export interface ReplayResult {
  eventId: string;
  /** New delivery job ids (`<eventId>~<destination>~<replayId>`). */
  deliveries: string[];
}

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

export interface EventStore {
  get(eventId: string): Promise<EventDetail | undefined>;
  /**
   * Newest first (by event id, which sorts by receipt time), a page at a time: default
   * limit 50, at most 1000; `nextCursor` only when there is more (see `listEventPage`).
   * A cursor it did not hand out throws `InvalidCursorError`.
   */
  list(query?: EventPageQuery): Promise<EventPage>;
  /**
   * Delivers the event again under new job ids (same event id): to `destination`
   * only, or to every destination its routes match under the current config.
   */
  replay(eventId: string, options?: { destination?: string }): Promise<ReplayResult>;
}

export function createEventStore(queues: Queues, config: Config): EventStore {
  const routes = createRouteTable(config);

  const loadEvent = async (id: string) =>
    (await Job.fromId(queues.events, id)) as Job<EventJobData> | undefined;
  const loadDelivery = async (id: string) =>
    (await Job.fromId(queues.deliveries, id)) as Job<DeliveryJobData> | undefined;

  async function deliveryIds(eventId: string): Promise<string[]> {
    const indexed = await queues.redis.smembers(eventDeliveriesKey(queues.prefix, eventId));
    // First deliveries have predictable ids: found even if the index is gone.
    const guessed = Object.keys(config.destinations).map((d) => deliveryId(eventId, d));
    return [...new Set([...indexed, ...guessed])];
  }

  async function status(job: Job<DeliveryJobData>): Promise<DeliveryStatus> {
    const [state, { logs }] = await Promise.all([
      job.getState(),
      queues.deliveries.getJobLogs(job.id!, 0, -1, true),
    ]);
    const out: DeliveryStatus = {
      id: job.id!,
      destination: job.data.destination,
      state,
      attemptsMade: job.attemptsMade,
      attempts: deliveryAttempts(logs, job.returnvalue),
    };
    if (job.failedReason) out.error = job.failedReason;
    if (job.finishedOn) out.finishedAt = new Date(job.finishedOn).toISOString();
    if (job.data.replayOf) out.replayOf = job.data.replayOf;
    return out;
  }

  async function findRecord(
    eventId: string,
  ): Promise<{ record: Envelope; state: DeliveryState } | undefined> {
    const event = await loadEvent(eventId);
    if (event?.data?.record) return { record: event.data.record, state: await event.getState() };
    for (const id of await deliveryIds(eventId)) {
      const d = await loadDelivery(id);
      if (d?.data?.record) return { record: d.data.record, state: 'unknown' };
    }
    return undefined;
  }

  return {
    async get(eventId) {
      await queues.ready();
      const found = await findRecord(eventId);
      if (!found) return undefined;
      const deliveries: DeliveryStatus[] = [];
      for (const id of await deliveryIds(eventId)) {
        const job = await loadDelivery(id);
        if (job?.data?.record) deliveries.push(await status(job));
      }
      deliveries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { ...eventSummary(found.record, found.state), envelope: found.record, deliveries };
    },

    list(query = {}) {
      return listEventPage(queues, query);
    },

    async replay(eventId, options = {}) {
      await queues.ready();
      const found = await findRecord(eventId);
      if (!found) throw new EventNotFoundError(eventId);
      let destinations: string[];
      if (options.destination !== undefined) {
        if (!config.destinations[options.destination]) throw new UnknownDestinationError(options.destination);
        destinations = [options.destination];
      } else {
        destinations = routes.match(found.record) ?? [];
      }
      const deliveries = await enqueueDeliveries(queues, config, found.record, destinations, {
        replayId: `replay-${ulid()}`,
      });
      return { eventId, deliveries };
    },
  };
}

import { Queue, type Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { parseAttempts } from './attempts.js';
import type { Store } from './delivery-queues.js';
import { deliveryKeyOf, parseDeliveryId } from './ids.js';
import {
  deliveryJobOptions,
  LEGACY_DELIVERIES_QUEUE,
  LEGACY_EVENTS_QUEUE,
  type DeliveryJobData,
  type LegacyDeliveryJobData,
  type LegacyEventJobData,
} from './jobs.js';
import { intakeFields } from './intake-writer.js';
import { encodeNew, encodeRouted } from './stored-event.js';
import { addDeadLetter } from './enqueue.js';
import { markPending, writeDeliveryStatus } from './event-status.js';

const OPEN_STATES = ['wait', 'prioritized', 'delayed', 'active', 'failed'] as const;
const PAGE = 500;

export interface LegacyDrainResult {
  events: number;
  deliveries: number;
  deadLetters: number;
}

/**
 * Moves what an install of the previous layout left in Redis into this one: events
 * not yet routed go to the intake, deliveries waiting or retrying to their
 * destination's queue, dead letters to its dead-letter store (attempts and failure
 * time kept; listed at once, no worker needed).
 * Completed history of the old layout stays where it was until it expires; it is
 * not shown by `events list`. Safe to run from every worker at once (a lock lets one
 * do it) and again (moved jobs are removed from the old queues). Stop workers of
 * the previous version first: a job one of them still holds is moved as it is.
 */
export async function drainLegacyLayout(
  store: Store,
  config: Config,
  logger?: Logger,
): Promise<LegacyDrainResult> {
  const result: LegacyDrainResult = { events: 0, deliveries: 0, deadLetters: 0 };
  await store.ready(30_000).catch(() => undefined);
  const prefix = store.prefix;
  // The old layout had one partition: its events go to layout 1's keys (jobs without `p`).
  const keys = store.partitionAt(undefined).keys;
  const [hasEvents, hasDeliveries] = await Promise.all([
    store.redis.exists(`${prefix}:${LEGACY_EVENTS_QUEUE}:meta`),
    store.redis.exists(`${prefix}:${LEGACY_DELIVERIES_QUEUE}:meta`),
  ]);
  if (!hasEvents && !hasDeliveries) return result;
  const lock = `${prefix}:hg:legacy-drain`;
  if ((await store.redis.set(lock, String(process.pid), 'PX', 120_000, 'NX')) !== 'OK') return result;
  try {
    if (hasEvents) {
      const events = new Queue<LegacyEventJobData>(LEGACY_EVENTS_QUEUE, { connection: store.redis, prefix });
      try {
        await eachJob(events, async (job) => {
          const record = job.data?.record;
          if (!record) return;
          await store.redis
            .multi()
            .set(keys.record(record.id), encodeNew(record), 'PX', config.retention.events, 'NX')
            .xadd(
              keys.intake,
              '*',
              ...intakeFields(record.id, record.source, undefined, record.requestContext.dedupeKey),
            )
            .exec();
          result.events++;
        });
      } finally {
        await events.close();
      }
    }
    if (hasDeliveries) {
      const old = new Queue<LegacyDeliveryJobData>(LEGACY_DELIVERIES_QUEUE, {
        connection: store.redis,
        prefix,
      });
      try {
        await eachJob(old, async (job, state) => {
          const d = job.data;
          if (!d?.record || !d.destination) return;
          const key = job.id && parseDeliveryId(job.id) ? deliveryKeyOf(job.id) : d.destination;
          const keep = Math.max(config.retention.events, config.retention.deadLetters);
          // Routed, with no marks: the event's status comes from its deliveries' status
          // entries (pending below, or failed), which the worker settles. Stored unrouted
          // (encodeNew), the event read `pending` for good once its deliveries were final.
          await store.redis.set(keys.record(d.eventId), encodeRouted(d.record, {}), 'PX', keep, 'NX');
          const { logs } = await old.getJobLogs(job.id!, 0, -1, true);
          const prior = parseAttempts(logs);
          const dead = state === 'failed';
          const data: DeliveryJobData = {
            eventId: d.eventId,
            source: d.source,
            destination: d.destination,
            key,
            ...(prior.length ? { prior } : {}),
            ...(dead ? { dead: job.failedReason || 'failed before the upgrade' } : {}),
            ...(d.replayOf ? { replayOf: d.replayOf } : {}),
          };
          if (dead) {
            // Straight into the dead-letter store, with the time it failed. Queued for a
            // worker to fail (as routing's dead-on-arrival letters are), it was missing
            // from `dlq list` until a worker of this version took it: after `hookgate
            // migrate` with workers stopped, while its destination is paused, for good
            // if no worker serves its destination any more.
            const failedAt = job.finishedOn ?? Date.now();
            await addDeadLetter(
              store,
              config,
              job.id!,
              { ...data, dead: data.dead! },
              failedAt,
              job.timestamp,
            );
            await writeDeliveryStatus(store, keys, d.eventId, key, { state: 'failed' }, keep);
            result.deadLetters++;
            return;
          }
          await markPending(store, keys, d.eventId, [key], keep);
          const attempts = Math.max(1, (job.opts.attempts ?? 1) - job.attemptsMade);
          await store
            .queue(d.destination)
            .add(d.destination, data, deliveryJobOptions(job.id!, attempts, config.retention.deadLetters));
          result.deliveries++;
        });
      } finally {
        await old.close();
      }
    }
    if (result.events + result.deliveries + result.deadLetters > 0)
      logger?.info({ ...result }, 'moved jobs of the previous layout');
    return result;
  } finally {
    await store.redis.del(lock);
  }
}

async function eachJob<T>(
  queue: Queue<T>,
  move: (job: Job<T>, state: (typeof OPEN_STATES)[number]) => Promise<void>,
): Promise<void> {
  for (const state of OPEN_STATES) {
    for (;;) {
      const jobs = await queue.getJobs([state], 0, PAGE - 1);
      if (!jobs.length) break;
      let moved = 0;
      for (const job of jobs) {
        if (!job) continue;
        await move(job, state);
        // A job still locked by a running worker of the old version cannot be removed: it is left.
        if (
          await job.remove().then(
            () => true,
            () => false,
          )
        )
          moved++;
      }
      if (moved === 0) break;
    }
  }
}

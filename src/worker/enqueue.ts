import type { JobsOptions } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import { deliveryId } from './ids.js';
import type { Envelope } from '../record/envelope.js';
import { BACKOFF_TYPE, retryPolicyFor } from './policy.js';
import { eventDeliveriesKey, type Queues } from './queues.js';

/**
 * A delivery's job options. The retry count is fixed when the delivery is created;
 * the delays are computed by the worker's backoff strategy from the current config.
 * Failed jobs are the dead-letter store, kept `retention.deadLetters`; completed ones
 * are kept as long as events so `events show` can report them.
 */
export function deliveryJobOptions(config: Config, destination: string, jobId: string): JobsOptions {
  const policy = retryPolicyFor(config, destination);
  return {
    jobId,
    attempts: policy.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: Math.ceil(config.retention.events / 1000) },
    removeOnFail: { age: Math.ceil(config.retention.deadLetters / 1000) },
  };
}

export interface EnqueueOptions {
  /** A replay: job ids get this suffix, so they never collide with earlier deliveries. */
  replayId?: string;
}

/**
 * Adds one delivery per destination. Job ids are deterministic, so running this
 * twice for the same event (a retried routing) adds nothing the second time.
 * The event's index of delivery ids is written first: an index entry without a job
 * reads as "not created", whereas a job missing from the index would be invisible.
 */
export async function enqueueDeliveries(
  queues: Queues,
  config: Config,
  record: Envelope,
  destinations: readonly string[],
  options: EnqueueOptions = {},
): Promise<string[]> {
  if (destinations.length === 0) return [];
  const jobs = destinations.map((destination) => {
    const id = deliveryId(record.id, destination, options.replayId);
    const data: DeliveryJobData = { eventId: record.id, source: record.source, destination, record };
    if (options.replayId) data.replayOf = deliveryId(record.id, destination);
    return { name: destination, data, opts: deliveryJobOptions(config, destination, id) };
  });
  const ids = jobs.map((j) => j.opts.jobId!);
  const key = eventDeliveriesKey(queues.prefix, record.id);
  const keepMs = Math.max(config.retention.events, config.retention.deadLetters);
  await queues.ready();
  await queues.redis
    .multi()
    .sadd(key, ...ids)
    .pexpire(key, keepMs)
    .exec();
  await queues.deliveries.addBulk(jobs);
  return ids;
}

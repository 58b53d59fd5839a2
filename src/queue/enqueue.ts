import type { Config } from '../config/schema.js';
import type { Store } from './delivery-queues.js';
import { deliveryId } from './ids.js';
import { deliveryJobOptions, type DeliveryJobData } from './jobs.js';
import { retryPolicyFor } from './policy.js';

/**
 * Puts a delivery in its destination's queue (routing's waits, retries and
 * dead-on-arrival letters; replays). The job id is the delivery id, so adding the
 * same delivery twice adds it once. The attempts left are the policy's less those
 * already made (`prior`); a dead letter gets one, which it fails at once.
 */
export async function addDelivery(
  store: Store,
  config: Config,
  data: DeliveryJobData,
  delayMs = 0,
): Promise<string> {
  const id = deliveryId(data.eventId, data.key);
  const attempts =
    data.dead !== undefined
      ? 1
      : retryPolicyFor(config, data.destination).attempts - (data.prior?.length ?? 0);
  await store
    .queue(data.destination)
    .add(data.destination, data, deliveryJobOptions(id, attempts, config.retention.deadLetters, delayMs));
  return id;
}

/**
 * Creates a BullMQ job directly in its queue's failed set, as the job hash a worker's
 * moveToFailed leaves (fields as BullMQ 6 writes them). Nothing in a queue's wait list
 * is a dead letter yet, and BullMQ moves a job to failed only from active, under a
 * worker's lock. An existing job of the same id is left alone, as `Queue.add` does.
 * KEYS: job hash, failed set, meta. ARGV: job id, name, data, opts, created, processed,
 * finished (the failed set's score), failed reason.
 */
const ADD_FAILED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'data', ARGV[3], 'opts', ARGV[4], 'timestamp', ARGV[5],
  'delay', 0, 'priority', 0, 'processedOn', ARGV[6], 'finishedOn', ARGV[7], 'failedReason', ARGV[8],
  'stacktrace', '[]', 'atm', 1, 'ats', 1)
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('HSETNX', KEYS[3], 'opts.maxLenEvents', 10000)
return 1
`;

/**
 * Puts a dead letter straight into the dead-letter store (its destination's failed set),
 * listed from the moment this returns whether or not a worker runs: the upgrade's
 * moved dead letters (`hookgate migrate` is run with workers stopped). `failedAt`: when
 * it failed for good (its place in the listing, and where its retention counts from).
 * `id`: the job id, the delivery id. Returns false when the delivery already had a job.
 */
export async function addDeadLetter(
  store: Store,
  config: Config,
  id: string,
  data: DeliveryJobData & { dead: string },
  failedAt: number,
  createdAt = failedAt,
): Promise<boolean> {
  const queue = store.queue(data.destination);
  const opts = deliveryJobOptions(id, 1, config.retention.deadLetters);
  const added = await store.redis.eval(
    ADD_FAILED,
    3,
    queue.toKey(id),
    queue.keys.failed!,
    queue.keys.meta!,
    id,
    data.destination,
    JSON.stringify(data),
    JSON.stringify(opts),
    String(createdAt),
    String(failedAt),
    String(failedAt),
    data.dead,
  );
  return added === 1;
}

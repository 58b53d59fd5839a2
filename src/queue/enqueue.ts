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

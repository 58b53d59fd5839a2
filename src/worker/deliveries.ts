import { Worker } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { RedisConnection } from '../queue/connection.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import { DELIVERIES_QUEUE } from '../queue/names.js';
import { chosenRetryDelay, createDeliveryProcessor } from './deliver.js';
import { backoffDelay, retryPolicyFor } from './policy.js';
import type { DestinationPool } from './pool.js';

export function createDeliveryWorker(
  config: Config,
  connection: RedisConnection,
  pool: DestinationPool,
  options: { metrics?: Metrics; logger?: Logger; random?: () => number } = {},
): Worker<DeliveryJobData> {
  const processor = createDeliveryProcessor({ config, pool, ...options });
  return new Worker<DeliveryJobData>(DELIVERIES_QUEUE, processor, {
    connection,
    prefix: config.redis.prefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDuration,
    stalledInterval: config.worker.stalledInterval,
    maxStalledCount: config.worker.maxStalledCount,
    settings: {
      // The processor already chose (and logged) the delay; recompute only for an
      // error that did not come through it.
      backoffStrategy: (attemptsMade, _type, err, job) => {
        const chosen = chosenRetryDelay(err);
        if (chosen !== undefined) return chosen;
        const destination = (job?.data as DeliveryJobData | undefined)?.destination ?? '';
        return backoffDelay(retryPolicyFor(config, destination), attemptsMade, err, options.random);
      },
    },
  });
}

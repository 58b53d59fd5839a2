import { Worker, type Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { EventJobData } from '../queue/jobs.js';
import { EVENTS_QUEUE } from '../queue/names.js';
import type { RedisConnection } from '../queue/connection.js';
import { enqueueDeliveries } from './enqueue.js';
import type { Queues } from './queues.js';
import { createRouteTable } from './routing.js';

export interface RouterResult {
  deliveries: string[];
  /** Why nothing was routed, when the source is no longer configured. */
  skipped?: string;
}

/** Routing an event: one delivery per matching destination, idempotent by job id. */
export function createRouterProcessor(config: Config, queues: Queues, logger?: Logger) {
  const table = createRouteTable(config);
  return async function route(job: Job<EventJobData>): Promise<RouterResult> {
    const record = job.data.record;
    const destinations = table.match(record);
    if (!destinations) {
      logger?.warn(
        { eventId: record.id, source: record.source },
        'event from an unconfigured source: not routed',
      );
      return { deliveries: [], skipped: `source "${record.source}" is not configured` };
    }
    const deliveries = await enqueueDeliveries(queues, config, record, destinations);
    logger?.debug({ eventId: record.id, deliveries }, 'event routed');
    return { deliveries };
  };
}

export function createRouterWorker(
  config: Config,
  queues: Queues,
  connection: RedisConnection,
  logger?: Logger,
): Worker<EventJobData, RouterResult> {
  return new Worker<EventJobData, RouterResult>(EVENTS_QUEUE, createRouterProcessor(config, queues, logger), {
    connection,
    prefix: config.redis.prefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDuration,
    stalledInterval: config.worker.stalledInterval,
    maxStalledCount: config.worker.maxStalledCount,
    // Accepted events stay readable (events show / replay) for retention.events.
    removeOnComplete: { age: Math.ceil(config.retention.events / 1000) },
    removeOnFail: { age: Math.ceil(config.retention.events / 1000) },
  });
}

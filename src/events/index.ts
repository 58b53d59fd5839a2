import type { Config } from '../config/schema.js';
import type { EventLog } from '../event-log/log.js';
import type { Store } from '../queue/delivery-queues.js';
import { createRedisHistory, type EventHistory } from './history.js';
import { createLoggedHistory } from './logged-history.js';

export * from './history.js';

/**
 * The history `events`, `dlq`, the admin API and the console read: from Redis
 * alone, or with an event log from PostgreSQL and Redis together.
 */
export function createEventHistory(store: Store, config: Config, log?: EventLog): EventHistory {
  const redis = createRedisHistory(store, config);
  return log ? createLoggedHistory(redis, log) : redis;
}

import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.js';

export type RedisConnection = Redis | Cluster;

/**
 * `enqueue`: the ingress path. No offline queue and one attempt per command, so a
 * request fails fast (-> 503) instead of waiting for Redis to come back.
 * `worker`: BullMQ workers need `maxRetriesPerRequest: null` and wait out outages.
 */
export type ConnectionRole = 'enqueue' | 'worker';

const reconnect = (times: number) => Math.min(times * 200, 2000);

export function connectionOptions(role: ConnectionRole): RedisOptions {
  return role === 'enqueue'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: reconnect, lazyConnect: false }
    : { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: reconnect };
}

export function createRedis(
  redis: Config['redis'],
  role: ConnectionRole,
  overrides: RedisOptions = {},
): RedisConnection {
  const options = { ...connectionOptions(role), ...overrides };
  if (redis.cluster) {
    return new Cluster(redis.cluster.nodes, {
      redisOptions: options,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: reconnect,
    });
  }
  return new Redis(redis.url, options);
}

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
    // Node connections stay lazy, as ioredis makes them by default: with the offline
    // queue off (enqueue), a node still connecting refuses commands, and the
    // cluster's own ready check (CLUSTER INFO to a random node, right after the slots
    // are learnt) failed that way at random, so start-up took seconds of reconnects.
    const nodeOptions: RedisOptions = { ...options };
    delete nodeOptions.lazyConnect;
    return new Cluster(redis.cluster.nodes, {
      redisOptions: nodeOptions,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: reconnect,
    });
  }
  return new Redis(redis.url, options);
}

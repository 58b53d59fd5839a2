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

/**
 * What the `redis.cluster.nodes` URLs say about every node: credentials and TLS.
 * ioredis applies a node URL's password to that node alone, so a node learnt from the
 * cluster (one not listed, a promoted replica, a node added later) was dialled
 * without it and every command on its slots failed; and it ignores `rediss://` in a
 * node URL altogether. The first URL that carries credentials provides them.
 */
export function clusterRedisOptions(nodes: readonly string[]): RedisOptions {
  const out: RedisOptions = {};
  for (const node of nodes) {
    let url: URL;
    try {
      url = new URL(node);
    } catch {
      continue; // `host:port`
    }
    if (url.protocol === 'rediss:') out.tls ??= {};
    if (out.password === undefined && (url.username || url.password)) {
      if (url.username) out.username = decodeURIComponent(url.username);
      out.password = decodeURIComponent(url.password);
    }
  }
  return out;
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
      redisOptions: { ...clusterRedisOptions(redis.cluster.nodes), ...nodeOptions },
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: reconnect,
    });
  }
  return new Redis(redis.url, options);
}

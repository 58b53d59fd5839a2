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

const keepHostName = (address: string, callback: (err: null, address: string) => void) =>
  callback(null, address);

export function createRedis(
  redis: Omit<Config['redis'], 'partitions'> & { partitions?: number },
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
    const redisOptions = { ...clusterRedisOptions(redis.cluster.nodes), ...nodeOptions };
    return new Cluster(redis.cluster.nodes, {
      redisOptions,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: reconnect,
      // ioredis resolves the seed nodes' host names itself and dials the IP, so over TLS
      // the certificate was checked against that IP. ElastiCache's certificates (cluster
      // mode, in-transit encryption) name hosts only: the configuration endpoint was
      // refused and the cluster never became ready. Keeping the name lets Node resolve it
      // and check the certificate against it (ioredis README, "Special Note: Aws
      // Elasticache Clusters with TLS").
      ...(redisOptions.tls ? { dnsLookup: keepHostName } : {}),
    });
  }
  return new Redis(redis.url, options);
}

/** The reply Redis gives a client whose credentials it refuses (or that sent none). */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|^ERR invalid password/;

/**
 * Node's codes for a TLS peer certificate it will not accept (untrusted issuer,
 * self-signed, expired, wrong host name): retrying cannot fix any of them.
 */
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)/;

export type RedisErrorKind = 'auth' | 'certificate' | 'other';

export function redisErrorKind(err: unknown): RedisErrorKind {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  const code = typeof e?.code === 'string' ? e.code : '';
  if (AUTH_REPLY.test(message)) return 'auth';
  if (CERT_CODE.test(code)) return 'certificate';
  return 'other';
}

/**
 * Why a connection to Redis failed, for a log line or an error message: the
 * client's own message (which never carries the password), and for the failures
 * a reconnect cannot fix, what to check.
 */
export function describeRedisError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  switch (redisErrorKind(err)) {
    case 'auth':
      return `Redis refused the password (${message}); check the password in redis.url`;
    case 'certificate': {
      const untrusted = /SELF_SIGNED|UNABLE_TO/.test(String((err as { code?: unknown }).code));
      return (
        `the Redis server's TLS certificate is not accepted (${message})` +
        (untrusted ? '; for a private CA, point NODE_EXTRA_CA_CERTS at its PEM file' : '')
      );
    }
    default:
      return message;
  }
}

/**
 * Creates a consumer group reading `stream` from its start (entries written before
 * any consumer ran are read too), making the stream if need be; one that exists is fine.
 */
export async function ensureGroup(redis: RedisConnection, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

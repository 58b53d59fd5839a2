import { Queue } from 'bullmq';
import type { Config } from '../config/schema.js';
import {
  createRedis,
  describeRedisError,
  redisErrorKind,
  type ConnectionRole,
  type RedisConnection,
} from '../queue/connection.js';
import type { DeliveryJobData, EventJobData } from '../queue/jobs.js';
import { DELIVERIES_QUEUE, EVENTS_QUEUE } from '../queue/names.js';

/**
 * The two queues plus the Redis connection they share. The dead-letter store, the
 * events API, the router and the CLI all work through one of these.
 */
export interface Queues {
  readonly prefix: string;
  readonly redis: RedisConnection;
  readonly events: Queue<EventJobData>;
  readonly deliveries: Queue<DeliveryJobData>;
  /**
   * Resolves once Redis answers; rejects with RedisUnavailableError after
   * `timeoutMs`. The `enqueue` role queues no commands while disconnected, so
   * anything talking to `redis` directly waits for this first.
   */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `role: 'enqueue'` fails fast when Redis is away (CLI commands, admin API);
 * `'worker'` waits it out (long-running workers).
 */
export function openQueues(config: Config, role: ConnectionRole = 'enqueue'): Queues {
  const redis = createRedis(config.redis, role);
  const prefix = config.redis.prefix;
  const events = new Queue<EventJobData>(EVENTS_QUEUE, { connection: redis, prefix });
  const deliveries = new Queue<DeliveryJobData>(DELIVERIES_QUEUE, { connection: redis, prefix });
  // A queue re-emits connection errors; without a listener Node would crash on them.
  const ignore = () => {};
  events.on('error', ignore);
  deliveries.on('error', ignore);
  redis.on('error', ignore);
  let closed: Promise<void> | undefined;
  let ready: Promise<void> | undefined;
  return {
    prefix,
    redis,
    events,
    deliveries,
    ready(timeoutMs = 5000) {
      if (redis.status === 'ready') return Promise.resolve();
      ready ??= waitReady(redis, timeoutMs, config).finally(() => {
        ready = undefined;
      });
      return ready;
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([events.close(), deliveries.close()]);
        redis.disconnect();
      })();
      return closed;
    },
  };
}

/** Delivery ids of one event (first deliveries and replays), kept as long as events are. */
export function eventDeliveriesKey(prefix: string, eventId: string): string {
  return `${prefix}:hookgate:event-deliveries:${eventId}`;
}

export class RedisUnavailableError extends Error {
  constructor(where: string, cause?: unknown) {
    // A refused password or an untrusted certificate is not "not reachable": say which.
    super(
      cause !== undefined && redisErrorKind(cause) !== 'other'
        ? `Redis at ${where}: ${describeRedisError(cause)}`
        : `Redis at ${where} is not reachable`,
      { cause },
    );
    this.name = 'RedisUnavailableError';
  }
}

/** Where Redis is, for messages: host and port only, never a password. */
export function redisLocation(config: Config): string {
  if (config.redis.cluster) return `cluster ${config.redis.cluster.nodes.length} nodes`;
  try {
    const u = new URL(config.redis.url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'the configured url';
  }
}

function waitReady(redis: RedisConnection, timeoutMs: number, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const onError = (err: unknown) => {
      lastError = err;
      // Reconnecting will not fix these: fail now rather than at the timeout.
      if (redisErrorKind(err) !== 'other') done(new RedisUnavailableError(redisLocation(config), err));
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(
      () => done(new RedisUnavailableError(redisLocation(config), lastError)),
      timeoutMs,
    );
    redis.on('ready', onReady);
    redis.on('error', onError);
    if (redis.status === 'ready') done();
  });
}

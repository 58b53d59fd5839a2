import { Queue } from 'bullmq';
import type { Config } from '../config/schema.js';
import {
  createRedis,
  describeRedisError,
  redisErrorKind,
  type ConnectionRole,
  type RedisConnection,
} from './connection.js';
import type { DeliveryJobData } from './jobs.js';
import { controlKeys, deliveryQueueName, eventKeys, type ControlKeys, type EventKeys } from './keys.js';

/**
 * hookgate's Redis: one connection, the key layout, and the BullMQ queue of each
 * destination (made on first use). The worker, the event history, the dead-letter
 * store, the admin API and the CLI all work through one of these.
 */
export interface Store {
  readonly prefix: string;
  readonly redis: RedisConnection;
  readonly keys: EventKeys;
  readonly controls: ControlKeys;
  /**
   * An event log is configured (`eventLog`): every settled state is also added to
   * `keys.log` for the log writer, and Redis lets go of an event once the log has it
   * and its deliveries are final.
   */
  readonly logged: boolean;
  /** The queue of a destination (configured or not: old dead letters stay readable). */
  queue(destination: string): Queue<DeliveryJobData>;
  /** Destinations that have a queue: the configured ones plus any found in Redis. */
  destinations(): Promise<string[]>;
  /**
   * Resolves once Redis answers; rejects with RedisUnavailableError after
   * `timeoutMs`. The `enqueue` role queues no commands while disconnected, so
   * anything talking to `redis` directly waits for this first.
   */
  ready(timeoutMs?: number, options?: { failFast?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * `role: 'enqueue'` fails fast when Redis is away (CLI commands, admin API);
 * `'worker'` waits it out (long-running workers).
 */
export function openStore(config: Config, role: ConnectionRole = 'enqueue'): Store {
  const redis = createRedis(config.redis, role);
  const prefix = config.redis.prefix;
  const queues = new Map<string, Queue<DeliveryJobData>>();
  // A queue re-emits connection errors; without a listener Node would crash on them.
  const ignore = () => {};
  redis.on('error', ignore);
  let closed: Promise<void> | undefined;
  let ready: Promise<void> | undefined;
  const queue = (destination: string) => {
    let q = queues.get(destination);
    if (!q) {
      q = new Queue<DeliveryJobData>(deliveryQueueName(destination), { connection: redis, prefix });
      q.on('error', ignore);
      queues.set(destination, q);
    }
    return q;
  };
  return {
    prefix,
    redis,
    keys: eventKeys(prefix),
    controls: controlKeys(prefix),
    logged: config.eventLog !== undefined,
    queue,
    async destinations() {
      const found = new Set(Object.keys(config.destinations));
      // BullMQ keeps a `meta` hash per queue that has ever had a job.
      const pattern = `${prefix}:deliveries.*:meta`;
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const k of keys) found.add(k.slice(`${prefix}:deliveries.`.length, -':meta'.length));
        } while (cursor !== '0');
      }
      return [...found].sort();
    },
    ready(timeoutMs = 5000, options = {}) {
      if (redis.status === 'ready') return Promise.resolve();
      ready ??= waitReady(redis, timeoutMs, config, options.failFast).finally(() => {
        ready = undefined;
      });
      return ready;
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([...queues.values()].map((q) => q.close()));
        redis.disconnect();
      })();
      return closed;
    },
  };
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

/** Node's codes for a host name that does not resolve (no such name, or no DNS answer). */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/**
 * Waits for the connection. A refused password or certificate fails at once (no
 * reconnect fixes it). `failFast` (one-shot commands, which do not wait out an
 * outage the way a server does): so does the first failed dial, saying why (a name
 * that does not resolve is a typo or a DNS problem, a refused port a Redis that is
 * not running). A dial that hangs ends at `timeoutMs`.
 */
function waitReady(
  redis: RedisConnection,
  timeoutMs: number,
  config: Config,
  failFast = false,
): Promise<void> {
  const where = redisLocation(config);
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const onError = (err: NodeJS.ErrnoException) => {
      lastError = err;
      if (failFast && err.code && UNRESOLVED.has(err.code)) {
        const host = (err as { hostname?: string }).hostname ?? where.replace(/:\d+$/, '');
        done(new Error(`cannot resolve host "${host}" (redis.url): no such host, or no DNS answer`));
      } else if (failFast && err.code === 'ECONNREFUSED') {
        done(new Error(`Redis at ${where} refused the connection: is it running? (redis.url)`));
      } else if (redisErrorKind(err) !== 'other') {
        // Reconnecting will not fix these: fail now rather than at the timeout.
        done(new RedisUnavailableError(where, err));
      }
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new RedisUnavailableError(where, lastError)), timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
    if (redis.status === 'ready') done();
  });
}

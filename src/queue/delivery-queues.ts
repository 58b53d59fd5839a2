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
import { partitionIndexOf } from '../record/id.js';
import {
  controlKeys,
  deliveryQueueName,
  eventKeys,
  globalPrefix,
  layoutOf,
  type ControlKeys,
  type Partition,
} from './keys.js';

/**
 * hookgate's Redis: one connection, the key layout, and the BullMQ queue of each
 * destination (made on first use). The worker, the event history, the dead-letter
 * store, the admin API and the CLI all work through one of these.
 */
export interface Store {
  /** The install's global prefix: the delivery queues and `controls` (keys.ts `globalPrefix`). */
  readonly prefix: string;
  readonly redis: RedisConnection;
  readonly controls: ControlKeys;
  /** The partitions new events are written to (`redis.partitions`). */
  readonly partitions: readonly Partition[];
  /**
   * The partition of an event made with the current layout (its id names it). An id
   * from an older layout may name another: what reads an event by id alone uses
   * `locate`.
   */
  partitionOf(eventId: string): Partition;
  /** The partition whose keys start with this prefix (a delivery job's `p`; none: layout 1's). */
  partitionAt(prefix: string | undefined): Partition;
  /**
   * Every partition that may hold events: the current layout's, those of older
   * layouts in the registry (`controls.layouts`, a changed `redis.partitions`), and
   * the single partition of layout 1 (every install before partitions). Cached a few
   * seconds.
   */
  allPartitions(): Promise<Partition[]>;
  /**
   * The partition that holds this event's record (the one its id names in each
   * known layout, then every partition); the current layout's guess when none has it.
   */
  locate(eventId: string): Promise<Partition>;
  /**
   * An event log is configured (`eventLog`): every settled state is also added to
   * the partition's `keys.log` for the log writer, and Redis lets go of an event once
   * the log has it and its deliveries are final.
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
  const prefix = globalPrefix(config.redis);
  const partitions = layoutOf(config.redis, config.redis.partitions);
  const byPrefix = new Map<string, Partition>();
  for (const p of partitions) byPrefix.set(p.prefix, p);
  const single = layoutOf(config.redis, 1)[0]!;
  byPrefix.set(single.prefix, single);
  const controls = controlKeys(prefix);
  let known: { at: number; list: Promise<Partition[]> } | undefined;
  const partitionOf = (eventId: string): Partition =>
    partitions[partitionIndexOf(eventId, partitions.length) ?? 0]!;
  const allPartitions = (): Promise<Partition[]> => {
    if (known && Date.now() - known.at < 5000) return known.list;
    const list = registeredLayouts(redis, controls).then(
      (counts) => {
        const out = [...partitions];
        const seen = new Set(out.map((p) => p.prefix));
        for (const count of [...counts, 1]) {
          for (const p of layoutOf(config.redis, count)) {
            if (seen.has(p.prefix)) continue;
            seen.add(p.prefix);
            out.push(p);
          }
        }
        return out;
      },
      (err: unknown) => {
        known = undefined;
        throw err;
      },
    );
    known = { at: Date.now(), list };
    return list;
  };
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
    controls,
    partitions,
    partitionOf,
    partitionAt(at) {
      if (at === undefined) return single;
      let p = byPrefix.get(at);
      if (!p) {
        p = { prefix: at, index: 0, count: 0, keys: eventKeys(at) };
        byPrefix.set(at, p);
      }
      return p;
    },
    allPartitions,
    async locate(eventId) {
      const guess = partitionOf(eventId);
      const all = await allPartitions();
      // One layout of one partition (every install that never changed it): no question.
      if (all.length === 1) return guess;
      // The partition the id names in each layout first, then any (an id of layout 1
      // names none): one EXISTS each, the likely ones first.
      const counts = [...new Set(all.map((p) => p.count))];
      const likely = counts
        .map((c) => all.find((p) => p.count === c && p.index === partitionIndexOf(eventId, c)))
        .filter((p): p is Partition => p !== undefined);
      const rest = all.filter((p) => !likely.includes(p));
      for (const group of [likely, rest]) {
        const found = await Promise.all(group.map((p) => redis.exists(p.keys.record(eventId))));
        const i = found.findIndex((n) => n > 0);
        if (i >= 0) return group[i]!;
      }
      return guess;
    },
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

/** The layouts (partition counts) processes have registered, newest use first. */
async function registeredLayouts(redis: RedisConnection, controls: ControlKeys): Promise<number[]> {
  const seen = await redis.hgetall(controls.layouts);
  return Object.entries(seen)
    .map(([count, at]) => [Number(count), Number(at)] as const)
    .filter(([count]) => Number.isInteger(count) && count >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([count]) => count);
}

/**
 * Writes down that this process uses a layout of `count` partitions, so workers of
 * any layout drain its partitions once the config changes (ingress and workers call
 * it at start and every minute).
 */
export async function registerLayout(store: Store, config: Config, now = Date.now()): Promise<void> {
  const { redis, controls } = store;
  const current = store.partitions.length;
  await redis.hset(controls.layouts, String(current), String(now));
  // A layout no process has used for a while, whose partitions hold nothing any
  // more, is done: forgotten, so workers stop reading its streams.
  const seen = await redis.hgetall(controls.layouts);
  for (const [count, at] of Object.entries(seen)) {
    const n = Number(count);
    if (n === current || now - Number(at) < LAYOUT_STALE_MS) continue;
    const partitions = layoutOf(config.redis, n);
    const lengths = await Promise.all(
      partitions.flatMap((p) => [redis.xlen(p.keys.intake), redis.xlen(p.keys.log)]),
    );
    if (lengths.every((l) => l === 0)) await redis.hdel(controls.layouts, count);
  }
}

/** How often workers look for the partitions of other layouts (a changed `redis.partitions`). */
const LAYOUTS_EVERY_MS = 60_000;

/**
 * Watches for partitions of other layouts (`redis.partitions` changed, or layout 1
 * from before partitions) whose stream `streamOf` exists and that `known` does not
 * have yet: `add` is called for each, so a worker drains what was accepted under the
 * old layout. A second after start, then every minute; the returned function stops it.
 */
export function watchOtherLayouts(
  store: Store,
  streamOf: (p: Partition) => string,
  known: (p: Partition) => boolean,
  add: (p: Partition) => void,
): () => void {
  const find = async () => {
    const others = (await store.allPartitions()).filter((p) => !known(p));
    if (!others.length) return;
    const exists = await Promise.all(others.map((p) => store.redis.exists(streamOf(p))));
    others.forEach((p, i) => {
      if (exists[i]) add(p);
    });
  };
  const run = () => void find().catch(() => {});
  const first = setTimeout(run, 1000);
  const every = setInterval(run, LAYOUTS_EVERY_MS);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}

/** A layout unused this long (no gateway or worker wrote it down) may be forgotten once empty. */
export const LAYOUT_STALE_MS = 10 * 60_000;

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

import type { Worker } from 'bullmq';
import type { Config } from '../config/schema.js';
import { createDestination } from '../destinations/index.js';
import { PermanentError } from '../destinations/errors.js';
import { createDeadLetterStore } from '../dead-letter/store.js';
import { sweepDeadLetters } from '../dead-letter/retention.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { createRedis, describeRedisError } from '../queue/connection.js';
import { createDeliveryWorker } from './deliveries.js';
import { createDestinationPool, type DestinationFactory } from './pool.js';
import { openQueues, type Queues } from './queues.js';
import { createRouterWorker } from './router.js';
import { sampleQueueMetrics } from './sampler.js';

export interface WorkerRuntimeOptions {
  /** Default: the configured destinations (destinations/index.ts). */
  destinations?: DestinationFactory;
  logger?: Logger;
  metrics?: Metrics;
  /** How often `queue_jobs` and `dead_letters` are sampled (default 15s; 0 = never). */
  sampleEveryMs?: number;
  /** How often aged dead letters are swept (default 1h; 0 = never). */
  sweepEveryMs?: number;
  random?: () => number;
}

export interface WorkerRuntime {
  readonly queues: Queues;
  readonly router: Worker;
  readonly deliveries: Worker;
  /**
   * Stops taking jobs and waits for in-flight ones, at most `timeoutMs`; what is
   * still running then is abandoned to BullMQ's stalled-job recovery (another
   * worker re-runs it once the lock lapses), so nothing is lost either way.
   * Resolves `true` when everything finished in time.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

/** The router and the delivery worker of one `hookgate worker` (or `dev`) process. */
export function startWorkerRuntime(config: Config, options: WorkerRuntimeOptions): WorkerRuntime {
  const { logger, metrics } = options;
  const connection = createRedis(config.redis, 'worker');
  // While Redis is away (down, a refused password, an untrusted certificate) every
  // reconnect of every connection fails the same way, several lines a second for as
  // long as it lasts: log each distinct error once per outage instead.
  const reported = new Set<string>();
  const report = (err: Error, log: (why: string) => void) => {
    const why = describeRedisError(err);
    if (connection.status === 'ready') return log(why);
    if (reported.has(why)) return;
    reported.add(why);
    log(why);
  };
  connection.on('ready', () => {
    if (reported.size) logger?.info('redis connection restored');
    reported.clear();
  });
  connection.on('error', (err) => report(err, (why) => logger?.warn({ err: why }, 'redis connection error')));
  const queues = openQueues(config, 'worker');
  const pool = createDestinationPool(options.destinations ?? configuredDestinations(config, logger));
  const router = createRouterWorker(config, queues, connection, logger);
  const deliveries = createDeliveryWorker(config, connection, pool, {
    metrics,
    logger,
    random: options.random,
  });
  for (const w of [router, deliveries]) {
    w.on('error', (err) => report(err, (why) => logger?.error({ err: why, queue: w.name }, 'worker error')));
  }

  const store = createDeadLetterStore(queues);
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => Promise<unknown>, what: string) => {
    if (ms <= 0) return;
    const run = () => task().catch((err: unknown) => logger?.warn({ err: String(err) }, `${what} failed`));
    void run();
    timers.push(setInterval(run, ms).unref());
  };
  if (metrics) {
    every(
      options.sampleEveryMs ?? 15_000,
      () => sampleQueueMetrics(queues, store, metrics, config),
      'sampling',
    );
  }
  every(
    options.sweepEveryMs ?? 3_600_000,
    () => sweepDeadLetters(queues, config.retention.deadLetters),
    'dead-letter sweep',
  );

  let closing: Promise<boolean> | undefined;
  return {
    queues,
    router,
    deliveries,
    close(timeoutMs = config.server.shutdownTimeout) {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        const graceful = Promise.all([router.close(), deliveries.close()]).then(() => true);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        const inTime = await Promise.race([graceful, timedOut]);
        clearTimeout(timer);
        if (!inTime) {
          logger?.warn({ timeoutMs }, 'shutdown timeout: in-flight deliveries left to stalled-job recovery');
          await settleWithin(Promise.allSettled([router.close(true), deliveries.close(true)]), 1000);
        }
        // With Redis gone, closing could wait forever on commands that never complete:
        // give it a moment, then cut the connections regardless.
        await settleWithin(Promise.allSettled([pool.close(), queues.close()]), 2000);
        queues.redis.disconnect();
        connection.disconnect();
        return inTime;
      })();
      return closing;
    },
  };
}

function settleWithin(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

export function configuredDestinations(config: Config, logger?: Logger): DestinationFactory {
  return (name) => {
    const options = config.destinations[name];
    // A delivery queued under an older config: retrying cannot bring the destination back.
    if (!options) throw new PermanentError(`destination "${name}" is not configured`);
    return createDestination(name, options, { defaultTimeout: config.defaults.timeout, logger });
  };
}

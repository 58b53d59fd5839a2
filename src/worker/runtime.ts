import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Worker } from 'bullmq';
import type { Config } from '../config/schema.js';
import { createDestination } from '../destinations/index.js';
import { PermanentError } from '../destinations/errors.js';
import { sweepDeadLetters } from '../dead-letter/retention.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { sampleQueueMetrics } from '../metrics/sampler.js';
import { createRedis, describeRedisError } from '../queue/connection.js';
import { concurrencyFor, destinationControls } from '../queue/controls.js';
import { openStore, registerLayout, RedisUnavailableError, type Store } from '../queue/delivery-queues.js';
import { drainLegacyLayout } from '../queue/legacy.js';
import { openEventLog } from '../event-log/open.js';
import type { EventLog } from '../event-log/log.js';
import { createRedisHistory } from '../events/history.js';
import { LogWriters } from './log-writers.js';
import { ControlView } from './control-view.js';
import { createDestinationWorker } from './destination-worker.js';
import { IntakeConsumer } from './intake.js';
import { Lane } from './lane.js';
import { createDestinationPool, type DestinationFactory } from './pool.js';
import { Reporter } from './reporter.js';

export interface WorkerRuntimeOptions {
  /** Default: the configured destinations (destinations/index.ts). */
  destinations?: DestinationFactory;
  logger?: Logger;
  metrics?: Metrics;
  /** How often the sampled gauges are refreshed (default 15s; 0 = never). */
  sampleEveryMs?: number;
  /** How often aged dead letters are swept (default 1h; 0 = never). */
  sweepEveryMs?: number;
  /** How often pause and breaker state are re-read (default 500ms). */
  controlsEveryMs?: number;
  random?: () => number;
  /** The event log to write (default: the configured one, `eventLog`). */
  eventLog?: EventLog;
  /** How often the log writer drops expired days (default 10 min; 0 = never). */
  expireEveryMs?: number;
}

export interface WorkerRuntime {
  readonly store: Store;
  readonly intake: IntakeConsumer;
  /** With an event log: this worker's writer of it. */
  readonly logWriter: LogWriters | undefined;
  /** The BullMQ worker of each configured destination's queue. */
  readonly destinations: ReadonlyMap<string, Worker>;
  /**
   * Stops taking work and waits for what is in flight, at most `timeoutMs`; what is
   * still running then is left to another worker (pending intake entries are
   * claimed once idle, queued deliveries by BullMQ's stalled-job recovery), so
   * nothing is lost either way. Resolves `true` when everything finished in time.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

/** One `hookgate worker` (or `dev`) process: the intake consumer and every destination's queue worker. */
export function startWorkerRuntime(config: Config, options: WorkerRuntimeOptions): WorkerRuntime {
  const { logger, metrics } = options;
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const connection = createRedis(config.redis, 'worker');
  // While Redis is away (down, a refused password, an untrusted certificate) every
  // reconnect of every connection fails the same way, several lines a second for as
  // long as it lasts: log each distinct error once per outage instead.
  const reported = new Set<string>();
  const report = (err: unknown, log: (why: string) => void) => {
    // A store call that gave up waiting names the Redis it waited for: the reason is its cause.
    const base = err instanceof RedisUnavailableError && err.cause instanceof Error ? err.cause : err;
    const why = base instanceof Error ? describeRedisError(base) : String(base);
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

  const store = openStore(config, 'worker');
  const controls = destinationControls(store);
  const names = Object.keys(config.destinations);
  const lanes = new Map(names.map((d) => [d, new Lane(d, concurrencyFor(config, d))]));
  const view = new ControlView(controls, names, (err) =>
    report(err, (why) => logger?.warn({ err: why }, 'could not read destination controls')),
  );
  void view.start(options.controlsEveryMs ?? 500);
  const pool = createDestinationPool(options.destinations ?? configuredDestinations(config, logger));
  const reporter = new Reporter({ config, store, controls, view, lanes, workerId, metrics, logger });
  reporter.start();
  const deps = { config, store, connection, pool, controls, view, reporter, logger, random: options.random };
  const destinations = new Map<string, Worker>();
  for (const [name, lane] of lanes) {
    const w = createDestinationWorker(name, lane, deps);
    w.on('error', (err) =>
      report(err, (why) => logger?.error({ err: why, destination: name }, 'worker error')),
    );
    destinations.set(name, w);
  }
  const warnOnce = (err: unknown, what: string) => report(err, (why) => logger?.warn({ err: why }, what));
  const intake = new IntakeConsumer({
    config,
    store,
    pool,
    view,
    reporter,
    lanes,
    workerId,
    logger,
    random: options.random,
    onError: warnOnce,
    plainRecords: () => logWriter?.keepingUp() ?? false,
  });
  intake.start();
  const eventLog = options.eventLog ?? openEventLog(config);
  const ownLog = !options.eventLog;
  let logWriter: LogWriters | undefined;
  if (eventLog) {
    // Schema made or migrated at start (the writer would on its first batch anyway);
    // PostgreSQL away holds up nothing but the log.
    eventLog
      .ready()
      .catch((err: unknown) =>
        warnOnce(err, 'event log: migrating the schema failed; retrying with the next batch'),
      );
    logWriter = new LogWriters(store, {
      config,
      log: eventLog,
      history: createRedisHistory(store, config),
      workerId,
      logger,
      onError: warnOnce,
      ...(options.expireEveryMs !== undefined ? { expireEveryMs: options.expireEveryMs } : {}),
    });
    logWriter.start();
  }
  // An install upgraded from the previous layout: move what is left of it (once, by whichever worker gets the lock).
  drainLegacyLayout(store, config, logger).catch((err: unknown) =>
    warnOnce(err, 'could not move jobs of the previous layout; run `hookgate migrate`'),
  );

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => Promise<unknown>, what: string) => {
    if (ms <= 0) return;
    const run = () => void task().catch((err: unknown) => warnOnce(err, `${what} failed`));
    run();
    timers.push(setInterval(run, ms).unref());
  };
  // Which layout this worker reads and writes: workers of another `redis.partitions` drain it too.
  every(60_000, () => registerLayout(store, config), 'registering the partition layout');
  if (metrics)
    every(options.sampleEveryMs ?? 15_000, () => sampleQueueMetrics(store, metrics, config), 'sampling');
  every(
    options.sweepEveryMs ?? 3_600_000,
    () => sweepDeadLetters(store, config.retention.deadLetters),
    'dead-letter sweep',
  );

  let closing: Promise<boolean> | undefined;
  return {
    store,
    intake,
    logWriter,
    destinations,
    close(timeoutMs = config.server.shutdownTimeout) {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        view.stop();
        const started = Date.now();
        const all = [...destinations.values()];
        const graceful = Promise.all([
          intake.close(timeoutMs),
          ...all.map((w) => w.close().then(() => true)),
        ]).then((r) => r.every(Boolean));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs + 200);
        });
        const inTime = await Promise.race([graceful, timedOut]);
        clearTimeout(timer);
        if (!inTime) {
          logger?.warn(
            { timeoutMs, waitedMs: Date.now() - started },
            'shutdown timeout: in-flight deliveries left to another worker',
          );
          await settleWithin(Promise.allSettled(all.map((w) => w.close(true))), 1000);
        }
        await settleWithin(reporter.stop(), 1000);
        // After the intake: its last settled events reach the log stream first. What
        // the writer has not written by then stays pending for another writer.
        if (logWriter) await logWriter.close(Math.min(2000, timeoutMs));
        if (eventLog && ownLog) await settleWithin(eventLog.close(), 1000);
        // With Redis gone, closing could wait forever on commands that never complete:
        // give it a moment, then cut the connections regardless.
        await settleWithin(Promise.allSettled([pool.close(), store.close()]), 2000);
        store.redis.disconnect();
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

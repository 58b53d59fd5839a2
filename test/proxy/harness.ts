import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { buildIngress } from '../../src/ingress/app.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { createEventHistory, type EventDetail } from '../../src/events/index.js';
import { openStore, type Store } from '../../src/queue/delivery-queues.js';
import { createIntakeWriter, type IntakeWriter } from '../../src/queue/intake-writer.js';
import type { Envelope } from '../../src/record/envelope.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker/runtime.js';
import { captureLogger } from '../ingress/harness.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { storedEvent, storedEvents } from '../helpers/stored-events.js';

export interface Gateway {
  /** `http://127.0.0.1:<port>` the gateway listens on. */
  url: string;
  app: FastifyInstance;
  config: Config;
  intakeWriter: IntakeWriter;
  metrics: Metrics;
  logs: string[];
  /** Stored records (the intake's, in Redis), by event id. */
  record(eventId: string): Promise<Envelope | undefined>;
  records(): Promise<Envelope[]>;
  metric(name: string, labels: Record<string, string>): Promise<number>;
  /**
   * Waits until each event's history (as `hookgate events show` reads it) says it
   * is settled: routed and every delivery delivered or dead-lettered (or no route
   * matched). Counts at the receivers are final then.
   */
  settled(eventIds: readonly string[]): Promise<EventDetail[]>;
  /** The router and delivery worker of `hookgate worker`, on the same Redis and config. */
  startWorker(): WorkerRuntime;
  /** close() of `hookgate serve`: drain, flush, close the intake writer. Idempotent. */
  close(): Promise<void>;
}

const FAST_RETRY = { attempts: 3, backoff: 'fixed', delay: '50ms', maxDelay: '1s', jitter: 0 };

/**
 * A real gateway (buildIngress + listen on 127.0.0.1:0) over a real Redis under a
 * fresh prefix. `raw` is the config as a user writes it.
 */
export async function gateway(
  t: Test,
  raw: Record<string, unknown>,
  options: { redisUrl?: string } = {},
): Promise<Gateway> {
  const url = options.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix('proxy');
  const r = raw as { defaults?: Record<string, unknown>; worker?: Record<string, unknown> };
  const config = validateConfig(
    {
      ...raw,
      redis: { url, prefix },
      defaults: { retry: FAST_RETRY, timeout: '2s', ...(r.defaults ?? {}) },
      worker: { concurrency: 4, ...(r.worker ?? {}) },
    },
    { env: {} },
  );
  const { logger, lines } = captureLogger();
  const metrics = createMetrics({ defaults: false });
  const intakeWriter = createIntakeWriter({
    redis: config.redis,
    retention: config.retention.events,
    dedupeRetention: config.retention.dedupe,
    enqueueTimeout: config.server.enqueueTimeout,
    logger,
  });
  const app = await buildIngress({ config, logger, metrics, intakeWriter });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // tests that take Redis away

  const workers: WorkerRuntime[] = [];
  let reader: Store | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await app.close();
      await intakeWriter.close();
    })());
  t.teardown(async () => {
    await close();
    await Promise.all(workers.map((w) => w.close(2000)));
    await reader?.close();
    redis.disconnect();
    if (url === REDIS_URL) await dropPrefix(prefix, url);
  });

  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    intakeWriter,
    metrics,
    logs: lines,
    async record(eventId) {
      return (await storedEvent(redis, prefix, eventId))?.record;
    },
    async records() {
      return (await storedEvents(redis, prefix)).map((e) => e.record);
    },
    async metric(name, labels) {
      const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
      const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
      return v?.value ?? 0;
    },
    async settled(eventIds) {
      reader ??= openStore(config);
      const history = createEventHistory(reader, config);
      return eventually(async () => {
        const events = await Promise.all(eventIds.map((id) => history.get(id)));
        return events.every((e) => e && e.status !== 'pending') ? (events as EventDetail[]) : undefined;
      });
    },
    startWorker() {
      const w = startWorkerRuntime(config, { logger, metrics, sampleEveryMs: 0, sweepEveryMs: 0 });
      workers.push(w);
      return w;
    },
    close,
  };
}

/** Polls until `fn` returns something other than undefined (the test's timeout bounds it). */
export async function eventually<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  intervalMs = 25,
): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

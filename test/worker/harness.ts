import type { Test } from 'tap';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createDeadLetterStore, type DeadLetterStore } from '../../src/dead-letter/store.js';
import { createEventStore, type EventStore } from '../../src/events/store.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import type { Envelope } from '../../src/record/envelope.js';
import { openQueues, type Queues } from '../../src/worker/queues.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker/runtime.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

/** Small delays and no jitter: a retry schedule a test can sit through. */
export const FAST_RETRY = { attempts: 3, backoff: 'fixed', delay: '30ms', maxDelay: '1s', jitter: 0 };

/** A validated config on a fresh Redis prefix. */
export function testConfig(raw: Record<string, unknown>, label = 'worker'): Config {
  const prefix = uniquePrefix(label);
  const r = raw as { defaults?: Record<string, unknown>; worker?: Record<string, unknown>; redis?: object };
  return validateConfig(
    {
      ...raw,
      redis: { url: REDIS_URL, prefix, ...(r.redis ?? {}) },
      defaults: { retry: FAST_RETRY, timeout: '2s', ...(r.defaults ?? {}) },
      worker: { concurrency: 4, ...(r.worker ?? {}) },
      logLevel: 'silent',
    },
    { env: {} },
  );
}

export interface Harness {
  config: Config;
  queues: Queues;
  store: DeadLetterStore;
  events: EventStore;
  metrics: Metrics;
  /** What the ingress does: one `events` job per accepted event. */
  publish(record: Envelope): Promise<void>;
  startWorker(): WorkerRuntime;
}

/** Queues, stores and (on demand) a worker runtime, all closed and the prefix dropped at teardown. */
export function harness(t: Test, config: Config): Harness {
  const queues = openQueues(config);
  const metrics = createMetrics({ defaults: false });
  const runtimes: WorkerRuntime[] = [];
  t.teardown(async () => {
    await Promise.all(runtimes.map((r) => r.close(2000)));
    await queues.close();
    await dropPrefix(config.redis.prefix);
  });
  return {
    config,
    queues,
    store: createDeadLetterStore(queues),
    events: createEventStore(queues, config),
    metrics,
    async publish(record) {
      await queues.events.add(record.source, { record }, { jobId: record.id, attempts: 3 });
    },
    startWorker() {
      const r = startWorkerRuntime(config, { metrics, sampleEveryMs: 0, sweepEveryMs: 0 });
      runtimes.push(r);
      return r;
    },
  };
}

/** Polls `check` until it returns something other than undefined/false. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

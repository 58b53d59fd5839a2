import type { Test } from 'tap';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createDeadLetterStore, type DeadLetterStore } from '../../src/dead-letter/store.js';
import { createEventHistory, type EventHistory } from '../../src/events/index.js';
import type { Logger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import type { Envelope } from '../../src/record/envelope.js';
import { openStore, type Store } from '../../src/queue/delivery-queues.js';
import { createIntakeWriter, type IntakeWriter } from '../../src/queue/intake-writer.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker/runtime.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { openEventLog } from '../../src/event-log/open.js';
import type { EventLog } from '../../src/event-log/log.js';
import { dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';

/** Small delays and no jitter: a retry schedule a test can sit through. */
export const FAST_RETRY = { attempts: 3, backoff: 'fixed', delay: '30ms', maxDelay: '1s', jitter: 0 };

/** A breaker that opens and probes within a test's patience. */
export const FAST_BREAKER = { failures: 10, cooldown: '200ms', maxCooldown: '1s' };

/** A validated config on a fresh Redis prefix. */
export function testConfig(raw: Record<string, unknown>, label = 'worker'): Config {
  const prefix = uniquePrefix(label);
  const r = raw as { defaults?: Record<string, unknown>; worker?: Record<string, unknown>; redis?: object };
  return validateConfig(
    {
      ...raw,
      redis: { url: REDIS_URL, prefix, ...(r.redis ?? {}) },
      worker: { ...(r.worker ?? {}) },
      defaults: {
        retry: FAST_RETRY,
        timeout: '2s',
        breaker: FAST_BREAKER,
        concurrency: 4,
        ...(r.defaults ?? {}),
      },
      logLevel: 'silent',
    },
    { env: {} },
  );
}

/** The same config with an event log in a schema of its own (dropped at teardown by `harness`). */
export function withEventLog(config: Config, label = 'log', url = PG_URL): Config {
  return {
    ...config,
    eventLog: { postgres: { url, schema: uniqueSchema(label), pool: 4 } },
  };
}

export interface Harness {
  config: Config;
  /** With `eventLog` in the config: the log the history and dead letters read. */
  log: EventLog | undefined;
  queues: Store;
  store: DeadLetterStore;
  events: EventHistory;
  intake: IntakeWriter;
  metrics: Metrics;
  /** What the ingress does: the event stored through the same intake. */
  publish(record: Envelope): Promise<void>;
  /** `logger`: the worker's (default: none). */
  startWorker(options?: { logger?: Logger }): WorkerRuntime;
}

/** Queues, stores and (on demand) a worker runtime, all closed and the prefix dropped at teardown. */
export function harness(t: Test, config: Config): Harness {
  const queues = openStore(config);
  const intake = createIntakeWriter({
    redis: config.redis,
    retention: config.retention.events,
    dedupeRetention: config.retention.dedupe,
    enqueueTimeout: 5000,
  });
  const metrics = createMetrics({ defaults: false });
  const runtimes: WorkerRuntime[] = [];
  const log = openEventLog(config);
  t.teardown(async () => {
    await Promise.all(runtimes.map((r) => r.close(2000)));
    await queues.close();
    await intake.close();
    await dropPrefix(config.redis.prefix);
    if (log) {
      await log.close();
      if (config.eventLog!.postgres.url === PG_URL) await dropSchema(config.eventLog!.postgres.schema);
    }
  });
  return {
    config,
    log,
    queues,
    store: createDeadLetterStore(queues, config, log),
    events: createEventHistory(queues, config, log),
    intake,
    metrics,
    async publish(record) {
      const { dedupeKey, eventType } = record.requestContext;
      await intake.accept(record, {
        source: record.source,
        ...(dedupeKey !== undefined ? { dedupeKey } : {}),
        ...(eventType !== undefined ? { eventType } : {}),
      });
    },
    startWorker(options = {}) {
      const r = startWorkerRuntime(config, {
        ...options,
        metrics,
        sampleEveryMs: 0,
        sweepEveryMs: 0,
        controlsEveryMs: 100,
      });
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

/** Keys under the harness's prefix, counted by kind (`hg:e`, `hg:dd`, `hg:in`, …). */
export async function keyKinds(h: Pick<Harness, 'queues' | 'config'>): Promise<Map<string, number>> {
  const kinds = new Map<string, number>();
  const prefix = h.config.redis.prefix;
  for (let cursor = '0'; ;) {
    const [next, batch] = await h.queues.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    for (const k of batch) {
      const kind = k
        .slice(prefix.length + 1)
        .split(':')
        .slice(0, 2)
        .join(':');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return kinds;
}

/**
 * A destination in an outage: a real receiver answering `status` (503 unless told), and
 * a harness routing one Stripe source to it as `rx` with `rx` (retry, breaker, timeout)
 * and `extra` (retention...) in the config.
 */
export async function outageHarness(
  t: Test,
  label: string,
  rx: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  status = 503,
): Promise<{ rx: HttpReceiver; h: Harness }> {
  const receiver = await startHttpReceiver({ fallback: { status } });
  t.teardown(() => receiver.close());
  const config = testConfig(
    {
      ...extra,
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: receiver.url, ...rx } },
    },
    label,
  );
  return { rx: receiver, h: harness(t, config) };
}

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import Stripe from 'stripe';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { buildIngress } from '../../src/ingress/app.js';
import { logRedaction, type Logger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { createIntakeWriter, type IntakeWriter } from '../../src/queue/intake-writer.js';
import type { Envelope } from '../../src/record/envelope.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { storedEvent, storedEvents, type StoredEntry } from '../helpers/stored-events.js';

export const STRIPE_SECRET = 'whsec_test_secret_for_hookgate';
const stripe = new Stripe('sk_test_hookgate');

/** A Stripe-Signature header made by Stripe's own SDK. */
export function stripeSignature(
  payload: string,
  options: { secret?: string; timestamp?: number } = {},
): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? STRIPE_SECRET,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
}

/** Log lines written during a test, at trace level, through the same redaction as createLogger. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'trace', ...logRedaction }, stream);
  return { logger, lines };
}

export interface Harness {
  app: FastifyInstance;
  config: Config;
  intakeWriter: IntakeWriter;
  /** A plain connection to the same Redis, for looking at what was stored. */
  redis: Redis;
  metrics: Metrics;
  prefix: string;
  logs: string[];
  /** Every stored event (intake entry and record), oldest first. */
  stored(): Promise<StoredEntry[]>;
  /** The stored record of one event, undefined when there is none. */
  record(eventId: string): Promise<Envelope | undefined>;
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * An ingress over a real Redis under a fresh prefix. `raw` is the config as a user
 * writes it (validated like a config file); `redis` is filled in.
 */
export async function ingress(
  t: Teardown,
  raw: Record<string, unknown>,
  options: { redisUrl?: string; now?: () => number } = {},
): Promise<Harness> {
  const url = options.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix('ingress');
  const rawRedis = (raw.redis as Record<string, unknown> | undefined) ?? {};
  const config = validateConfig({ ...raw, redis: { ...rawRedis, url, prefix } }, { env: {} });
  const { logger, lines } = captureLogger();
  const metrics = createMetrics({ defaults: false });
  const intakeWriter = createIntakeWriter({
    redis: config.redis,
    retention: config.retention.events,
    dedupeRetention: config.retention.dedupe,
    enqueueTimeout: config.server.enqueueTimeout,
    logger,
  });
  const app = await buildIngress({
    config,
    logger,
    metrics,
    intakeWriter,
    ...(options.now ? { now: options.now } : {}),
  });
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // tests against an unreachable Redis

  t.teardown(async () => {
    await app.close();
    await intakeWriter.close();
    redis.disconnect();
    if (url === REDIS_URL) await dropPrefix(prefix, url);
  });
  return {
    app,
    config,
    intakeWriter,
    redis,
    metrics,
    prefix,
    logs: lines,
    stored: () => storedEvents(redis, prefix),
    async record(eventId) {
      return (await storedEvent(redis, prefix, eventId))?.record;
    },
    async metric(name, labels) {
      const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
      const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
      return v?.value ?? 0;
    },
  };
}

export interface StripeGateway {
  app: FastifyInstance;
  /** POSTs a Stripe-signed event with this Stripe id to `/hooks/stripe`: the status and hookgate's event id. */
  send(stripeId: string, type?: string): Promise<{ status: number; id: string }>;
}

/**
 * A gateway as `hookgate serve` runs it (buildIngress with its own intake writer) over
 * a validated `config` whose `stripe` source verifies with STRIPE_SECRET; closed at
 * teardown. Several over one config are several gateways behind a load balancer.
 */
export async function stripeGateway(t: Teardown, config: Config): Promise<StripeGateway> {
  const intakeWriter = createIntakeWriter({
    redis: config.redis,
    retention: config.retention.events,
    dedupeRetention: config.retention.dedupe,
    enqueueTimeout: 5000,
  });
  const app = await buildIngress({
    config,
    logger: captureLogger().logger,
    metrics: createMetrics({ defaults: false }),
    intakeWriter,
  });
  t.teardown(async () => {
    await app.close();
    await intakeWriter.close();
  });
  return {
    app,
    async send(stripeId, type = 'invoice.paid') {
      const payload = JSON.stringify({
        id: stripeId,
        object: 'event',
        type,
        data: { object: { id: 'in_1' } },
      });
      const res = await app.inject({
        method: 'POST',
        url: '/hooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload) },
        payload,
      });
      return { status: res.statusCode, id: res.headers['hookgate-event-id'] as string };
    },
  };
}

/** Polls until `fn` returns a value other than undefined (no timed assertion: the test timeout bounds it). */
export async function eventually<T>(fn: () => Promise<T | undefined>, intervalMs = 50): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

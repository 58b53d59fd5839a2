import { z } from 'zod';
import {
  destinationOptions,
  eventbridgeOptions,
  httpOptions,
  retryOptions,
  snsOptions,
  sqsOptions,
} from '../destinations/options.js';
import { bool, duration, int, size } from '../options/types.js';
import { ROUTE_CONDITIONS } from '../record/routes.js';
import { verifyOptions } from '../verifiers/options.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Cross-field checks run even when some field already failed, so one `config check`
 * lists every problem instead of revealing them a round at a time. Their input is
 * then partly unparsed, hence the guards.
 */
const ALWAYS = { when: () => true };
function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const positive = (ms: number) => ms > 0;
const server = z
  .strictObject({
    host: z.string().default('0.0.0.0'),
    port: int().min(0).max(65535).default(8080),
    bodyLimit: size().prefault('1mb'),
    trustProxy: z.union([bool(), z.string(), int()]).default(false),
    enqueueTimeout: duration().prefault('2s'),
    shutdownTimeout: duration().prefault('10s'),
    /** A client that has not sent all its headers by then gets 408 and is disconnected (slow-header attacks). */
    headersTimeout: duration().refine(positive, 'must be more than 0').prefault('10s'),
    /** The same for the whole request, body included (a proxy source streaming a large upload needs more). */
    requestTimeout: duration().refine(positive, 'must be more than 0').prefault('30s'),
    /** Public base URL (`https://hooks.example.com`), used by URL-signing verifiers and the record's domainName. */
    publicUrl: z.string().url().optional(),
  })
  .superRefine((s, ctx) => {
    // Also runs when other fields failed (see ALWAYS): `s` may be partly unparsed.
    if (!isRecord(s) || typeof s.headersTimeout !== 'number' || typeof s.requestTimeout !== 'number') return;
    if (s.headersTimeout > s.requestTimeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['headersTimeout'],
        message: `must not be longer than requestTimeout (${s.requestTimeout}ms): the headers are part of the request`,
      });
    }
  }, ALWAYS);

const admin = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: int().min(0).max(65535).default(9090),
  /** No token (or an empty one): the admin API is not started. */
  token: z.string().optional(),
  /**
   * The bull-board queue dashboard at /admin/queues. Read-only unless `readOnly: false`:
   * its retry, clean, empty and obliterate bypass the attempt history and can wipe the
   * dead-letter store; replays go through `hookgate dlq|events replay` or the admin API.
   */
  dashboard: z.strictObject({ readOnly: bool().default(true) }).prefault({}),
});

/**
 * Whether every key starting with `prefix` hashes on the same part of it: Redis
 * Cluster hashes only what lies between the first `{` and the first `}` after it,
 * when that is not empty.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

const redis = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\/[^/?#]/i, 'must be a redis:// or rediss:// (TLS) URL, e.g. redis://127.0.0.1:6379')
      .default('redis://127.0.0.1:6379'),
    /** The durable ack waits until this many replicas have the write (WAIT); absent or 0: the master's word. */
    ackReplicas: int().min(0).optional(),
    prefix: z.string().min(1).default('hookgate'),
    cluster: z.strictObject({ nodes: z.array(z.string()).min(1) }).optional(),
    /**
     * Hash-tag partitions the per-event keys spread over (queue/keys.ts `layoutOf`), so
     * a Redis Cluster shares the work and the memory among its shards. At most 1024:
     * an event id carries its partition in 10 bits (record/id.ts).
     */
    partitions: int().min(1).max(1024).default(1),
  })
  .superRefine((r, ctx) => {
    // Also runs when other fields failed (see ALWAYS): `r` may be partly unparsed.
    // BullMQ's scripts touch several keys of a queue at once, and a cluster refuses
    // that (CROSSSLOT) unless they share a slot: without a hash tag every webhook
    // would be answered 503. Refused rather than wrapped, so the keys an operator
    // finds in Redis are under the prefix they wrote.
    if (!isRecord(r) || !isRecord(r.cluster) || typeof r.prefix !== 'string') return;
    // With partitions hookgate writes the hash tags itself (`{hookgate:0}`, and
    // `{hookgate}` for the keys every partition shares).
    if (typeof r.partitions === 'number' && r.partitions > 1) return;
    if (!hasHashTag(r.prefix)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message:
          `"${r.prefix}" has no {hash tag}; with redis.cluster every key must hash to one slot, ` +
          `so write the prefix with a non-empty tag, e.g. "{${r.prefix.replace(/[{}]/g, '') || 'hookgate'}}"`,
      });
    }
  }, ALWAYS);

const retention = z.strictObject({
  events: duration().prefault('3d'),
  deadLetters: duration().prefault('14d'),
  /** How long a provider's event id is remembered: a re-send within it is a duplicate (Stripe retries for 3 days). */
  dedupe: duration().prefault('3d'),
});

const defaults = z.strictObject({
  retry: z
    .strictObject({
      attempts: int().min(1).default(10),
      backoff: z.enum(['exponential', 'fixed']).default('exponential'),
      delay: duration().prefault('1s'),
      maxDelay: duration().prefault('15m'),
      jitter: z.coerce.number().min(0).max(1).default(0.2),
    })
    .prefault({}),
  timeout: duration().prefault('10s'),
  /** Deliveries in flight per destination, per worker process. */
  concurrency: int().min(1).default(10),
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({
        failures: int().min(1).default(10),
        cooldown: duration().prefault('30s'),
        maxCooldown: duration().prefault('10m'),
      }),
    ])
    .prefault({}),
});

const worker = z.strictObject({
  /**
   * Accepted events one worker holds at once while their first attempts run (each
   * destination's own limit is its `concurrency`). Before the delivery engine v2
   * this capped deliveries in flight.
   */
  concurrency: int().min(1).default(1000),
  /** BullMQ job lock: a worker that dies holds a delivery at most this long before another takes it. */
  lockDuration: duration().prefault('30s'),
  stalledInterval: duration().prefault('30s'),
  maxStalledCount: int().min(0).default(10),
  /** A worker's own admin API (its `/metrics`), on `admin.host`; only when `admin.token` is set. */
  adminPort: int().min(0).max(65535).default(9091),
});

/**
 * The event log: every accepted event, delivery and attempt written to
 * PostgreSQL by the workers, kept `retention.events`; Redis then holds only the
 * work in flight and the dedupe keys.
 */
const eventLog = z.strictObject({
  postgres: z.strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL (TLS: ?sslmode=require)'),
    /** Schema of hookgate's tables, created and migrated by hookgate (several installs can share a database). */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ (a PostgreSQL identifier)')
      .default('hookgate'),
    /** Connections per process. */
    pool: int().min(1).max(100).default(4),
  }),
});

const route = z.strictObject({
  to: z.string().min(1),
  filter: z.record(z.string(), z.unknown()).optional(),
  on: z.enum(ROUTE_CONDITIONS).default('always'),
});

/** A field of the request a source names: `{ header: name }` or `{ body: dotted.path }`. */
const headerField = z.strictObject({
  header: z
    .string()
    .min(1)
    .transform((h) => h.toLowerCase()),
});
const bodyField = z.strictObject({ body: z.string().min(1) });

const dedupe = z.union([bool(), headerField, bodyField]);

/** A source; `verify` is a parameter so commands that verify nothing can leave it unchecked. */
const sourceSchema = (verify: typeof verifyOptions) =>
  z
    .strictObject({
      mode: z.enum(['ack', 'proxy']).default('ack'),
      path: z.string().startsWith('/').optional(),
      methods: z
        .array(z.string().transform((m) => m.toUpperCase()))
        .min(1)
        .optional(),
      verify: verify.default({ type: 'none' }),
      /** Larger request bodies get 413 (streamed proxy bodies too); default `server.bodyLimit`. */
      bodyLimit: size().optional(),
      dedupe: dedupe.default(true),
      /** `requestContext.eventType` from this field instead of the verifier's. */
      eventType: z.union([headerField, bodyField]).optional(),
      rateLimit: z.strictObject({ max: int().min(1), window: duration().prefault('1m') }).optional(),
      ack: z.enum(['durable', 'immediate']).default('durable'),
      response: z
        .strictObject({
          status: int().min(200).max(299).default(204),
          body: z.unknown().optional(),
          headers: z.record(z.string(), z.string()).default({}),
        })
        .optional(),
      headers: z
        .strictObject({ drop: z.array(z.string().transform((h) => h.toLowerCase())).default([]) })
        .optional(),
      routes: z.array(route).default([]),
      // proxy mode
      upstream: z
        .strictObject({
          url: z.string().url(),
          timeout: duration().optional(),
          maxResponseBody: size().prefault('256kb'),
          successStatuses: z.array(int().min(100).max(599)).optional(),
          /** Pass the credential `verify` checked (api-key header or parameter, basic authorization) on to the upstream. */
          forwardCredentials: bool().default(false),
        })
        .optional(),
      record: z.enum(['after-response', 'before-response']).default('after-response'),
      /** Bounded in-memory buffer for `record: after-response` while Redis is away. */
      bufferSize: int().min(0).default(1000),
    })
    .superRefine((s, ctx) => {
      // Also runs when other fields failed (see ALWAYS): `s` may be partly unparsed.
      if (!isRecord(s)) return;
      const mode = s.mode ?? 'ack';
      if (mode === 'proxy' && !s.upstream) {
        ctx.addIssue({ code: 'custom', path: ['upstream'], message: 'is required in proxy mode' });
      }
      if (mode === 'ack' && s.upstream) {
        ctx.addIssue({ code: 'custom', path: ['upstream'], message: 'is only used with mode: proxy' });
      }
      for (const [i, m] of (Array.isArray(s.methods) ? s.methods : []).entries()) {
        if (typeof m === 'string' && !(HTTP_METHODS as readonly string[]).includes(m)) {
          ctx.addIssue({ code: 'custom', path: ['methods', i], message: `unknown HTTP method "${m}"` });
        }
      }
    }, ALWAYS);

const buildConfigSchema = (verify: typeof verifyOptions, destination: typeof destinationOptions) =>
  z
    .strictObject({
      server: server.prefault({}),
      admin: admin.prefault({}),
      redis: redis.prefault({}),
      retention: retention.prefault({}),
      defaults: defaults.prefault({}),
      worker: worker.prefault({}),
      eventLog: eventLog.optional(),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      sources: z
        .record(z.string().regex(NAME, 'source names use letters, digits, _ . -'), sourceSchema(verify))
        .default({}),
      destinations: z
        .record(z.string().regex(NAME, 'destination names use letters, digits, _ . -'), destination)
        .default({}),
    })
    .superRefine((c, ctx) => {
      // Also runs when other fields failed (see ALWAYS): `c` may be partly unparsed.
      if (!isRecord(c) || !isRecord(c.sources)) return;
      const destinations = c.destinations === undefined ? {} : c.destinations;
      const paths = new Map<string, string>();
      for (const [name, s] of Object.entries(c.sources)) {
        if (!isRecord(s)) continue;
        const p = typeof s.path === 'string' ? s.path : `/hooks/${name}`;
        const other = paths.get(p);
        if (other)
          ctx.addIssue({
            code: 'custom',
            path: ['sources', name, 'path'],
            message: `${p} is already used by source "${other}"`,
          });
        paths.set(p, name);
        if (!isRecord(destinations) || !Array.isArray(s.routes)) continue;
        for (const [i, r] of s.routes.entries()) {
          if (isRecord(r) && typeof r.to === 'string' && r.to && !Object.hasOwn(destinations, r.to)) {
            ctx.addIssue({
              code: 'custom',
              path: ['sources', name, 'routes', i, 'to'],
              message: `unknown destination "${r.to}"`,
            });
          }
        }
      }
    }, ALWAYS);

export const configSchema = buildConfigSchema(verifyOptions, destinationOptions);

/**
 * For commands that neither verify nor sign (`dlq`, `events`): verifier blocks and
 * signing secrets are carried as written and not checked, so those commands run
 * without the webhook secrets (which an operator's shell rarely has). What they parse
 * is only ever used to reach Redis and to name sources and destinations.
 */
export const inspectConfigSchema = buildConfigSchema(
  z.looseObject({ type: z.string() }) as unknown as typeof verifyOptions,
  z.discriminatedUnion('type', [
    sqsOptions,
    snsOptions,
    eventbridgeOptions,
    httpOptions.extend({ sign: z.unknown().optional() }),
  ]) as unknown as typeof destinationOptions,
);

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = Config['sources'][string];
export type RouteConfig = SourceConfig['routes'][number];
export type DestinationConfig = Config['destinations'][string];
export type RetryPolicy = Config['defaults']['retry'];
export { retryOptions };

/** The source's effective path and methods. */
export function sourcePath(name: string, s: SourceConfig): string {
  return s.path ?? `/hooks/${name}`;
}
export function sourceMethods(s: SourceConfig): string[] {
  return s.methods ?? ['POST'];
}

import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { sourceMethods, sourcePath, type Config } from '../config/schema.js';
import { errors } from '../errors.js';
import { clientErrorHandler, frameworkErrors } from '../http-errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { RedisConnection } from '../queue/connection.js';
import type { IntakeWriter } from '../queue/intake-writer.js';
import { createVerifier } from '../verifiers/index.js';
import type { IngressContext, Modes, SourceRegistration } from './context.js';
import { answerExpectations, installErrorHandlers } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { defaultModes } from './modes.js';
import { observeRequests } from './observe.js';
import { createRateLimitRedis, rateLimitRedisReady, registerRateLimit } from './rate-limit.js';
import { keepRawBody } from './raw-body.js';

export interface IngressOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  intakeWriter: IntakeWriter;
  now?: () => number;
  /** Extra or replacement mode handlers, merged over defaultModes. */
  modes?: Modes;
  /** Redis for rate-limit counters; default: a client of its own, closed with the app. */
  rateLimitRedis?: RedisConnection;
}

/**
 * The webhook port as a Fastify instance (not listening: tests `inject()` into it,
 * startIngress() listens). The intake writer is the caller's to close.
 */
export async function buildIngress(options: IngressOptions): Promise<FastifyInstance> {
  const { config, logger, metrics, intakeWriter } = options;
  const ctx: IngressContext = { config, logger, metrics, intakeWriter, now: options.now ?? Date.now };
  const modes: Modes = { ...defaultModes, ...options.modes };

  const app = Fastify({
    loggerInstance: logger,
    // observe.ts writes the one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimit,
    trustProxy: trustProxy(config.server.trustProxy),
    // Requests arriving while draining are answered below, in the error format.
    return503OnClosing: false,
    // Malformed URLs and unparseable requests get the `{"error": {...}}` format too.
    frameworkErrors: frameworkErrors(config.server.bodyLimit),
    clientErrorHandler,
    requestTimeout: config.server.requestTimeout,
    http: {
      // Node would answer an HTTP/1.1 request without Host with a bare 400 of its own;
      // refused below instead, in the error format.
      requireHostHeader: false,
      // A client trickling its headers (or body) holds a socket until these run out,
      // answered 408 by clientErrorHandler. Node checks them on an interval (30 s by
      // default, which would let a slow client stay well past the limit).
      headersTimeout: config.server.headersTimeout,
      requestTimeout: config.server.requestTimeout,
      connectionsCheckingInterval: checkingInterval(config.server.headersTimeout),
    },
  }) as unknown as FastifyInstance;
  answerExpectations(app.server);
  app.decorateRequest('receivedAt', 0);
  app.decorateRequest('sourceName', undefined);
  app.decorateReply('eventId', undefined);
  keepRawBody(app);

  // The per-request hooks take callbacks rather than being async: an async hook costs
  // every request a promise and a microtask turn even when it has nothing to do.
  let closing = false;
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook: async stands for done()
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) {
      if (req.headers.host === undefined && req.raw.httpVersion === '1.1') {
        return done(errors.badRequest('The request has no Host header.'));
      }
      return done();
    }
    reply.header('connection', 'close');
    done(errors.unavailable(1));
  });
  // A request drained during shutdown must not leave its keep-alive socket holding close() open.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  observeRequests(app, ctx);

  const registrations = Object.entries(config.sources).map(([name, source]): SourceRegistration => ({
    name,
    source,
    path: sourcePath(name, source),
    methods: sourceMethods(source),
    bodyLimit: source.bodyLimit ?? config.server.bodyLimit,
    verifier: createVerifier(source.verify),
  }));
  if (registrations.some((r) => r.source.rateLimit && modes[r.source.mode])) {
    const redis = options.rateLimitRedis ?? createRateLimitRedis(config);
    if (!options.rateLimitRedis) {
      redis.on('error', () => {}); // the intake writer reports Redis outages
      // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook: async stands for done()
      app.addHook('onClose', async () => {
        redis.disconnect();
      });
      await rateLimitRedisReady(redis, config.server.enqueueTimeout);
    }
    await registerRateLimit(app, redis, config.redis.prefix);
  }

  const served = new Map<string, SourceRegistration>();
  // Proxy sources also answer every sub-path of theirs, longest prefix first.
  const subPathOwners: [prefix: string, reg: SourceRegistration][] = [];
  for (const reg of registrations) {
    const register = modes[reg.source.mode];
    if (!register) {
      logger.warn({ source: reg.name, mode: reg.source.mode }, 'source not served: no handler for its mode');
      continue;
    }
    await register(app, reg, ctx);
    served.set(reg.path, reg);
    if (reg.source.mode === 'proxy') subPathOwners.push([`${reg.path.replace(/\/+$/, '')}/`, reg]);
  }
  subPathOwners.sort((a, b) => b[0].length - a[0].length);
  const sourceAt = (path: string): SourceRegistration | undefined =>
    served.get(path) ?? subPathOwners.find(([prefix]) => path.startsWith(prefix))?.[1];
  registerHealthRoutes(app, intakeWriter);
  installErrorHandlers(app, config.server.bodyLimit, sourceAt);
  return app;
}

/** `trustProxy: <n>` trusts n hops; Fastify's types only know the function form of that. */
function trustProxy(
  value: Config['server']['trustProxy'],
): boolean | string | ((addr: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_addr, hop) => hop < value : value;
}

/** Often enough that a timeout is enforced within a small fraction of itself, at most every second. */
function checkingInterval(headersTimeout: number): number {
  return Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4)));
}

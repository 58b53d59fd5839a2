import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics/registry.js';
import { createIntakeWriter, type IntakeWriter } from '../queue/intake-writer.js';
import { buildIngress } from './app.js';
import type { Modes } from './context.js';

export interface RunningIngress {
  app: FastifyInstance;
  /** `http://host:port` it listens on. */
  url: string;
  intakeWriter: IntakeWriter;
  metrics: Metrics;
  /** Stops accepting, drains in-flight requests (bounded by shutdownTimeout), closes Redis. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Share one registry with a worker in the same process (`hookgate dev`). */
  metrics?: Metrics;
  /** An intake writer the caller owns (and closes); default: one of its own. */
  intakeWriter?: IntakeWriter;
  modes?: Modes;
  now?: () => number;
}

/** The webhook port of `hookgate serve` (and `hookgate dev`). */
export async function startIngress(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningIngress> {
  const metrics = options.metrics ?? createMetrics();
  const ownWriter = !options.intakeWriter;
  const intakeWriter =
    options.intakeWriter ??
    createIntakeWriter({
      redis: config.redis,
      retention: config.retention.events,
      dedupeRetention: config.retention.dedupe,
      enqueueTimeout: config.server.enqueueTimeout,
      logger,
    });
  let app: FastifyInstance | undefined;
  try {
    app = await buildIngress({
      config,
      logger,
      metrics,
      intakeWriter,
      ...(options.modes ? { modes: options.modes } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    // The app may hold connections of its own (the rate limiter's Redis client): left
    // open, they keep the process alive after a failed start.
    await app?.close();
    if (ownWriter) await intakeWriter.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `webhook port ${config.server.host}:${config.server.port} is already in use (server.port)`,
        { cause: err },
      );
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, sources: Object.keys(config.sources) }, 'ingress listening');

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      // Past the drain budget, in-flight requests are cut: their providers retry.
      const force = setTimeout(() => {
        logger.warn('shutdown timeout: closing remaining connections');
        app.server.closeAllConnections();
      }, config.server.shutdownTimeout);
      force.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
      if (ownWriter) await intakeWriter.close();
    })());
  return { app, url, intakeWriter, metrics, close };
}

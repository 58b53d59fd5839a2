import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { createDeadLetterStore } from '../dead-letter/store.js';
import { createEventHistory } from '../events/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { openStore, type Store } from '../queue/delivery-queues.js';
import { openEventLog } from '../event-log/open.js';
import { buildAdmin } from './app.js';

export interface AdminDeps {
  logger: Logger;
  /** The process's registry: what `/metrics` serves. */
  metrics: Metrics;
  /** Store the caller owns (and closes); default: opened here, closed with the server. */
  queues?: Store;
  /** Default `admin.port`; `hookgate worker` passes `worker.adminPort`. */
  port?: number;
}

export interface RunningAdmin {
  /** `http://host:port`, or undefined when the admin API is off (no `admin.token`). */
  readonly url: string | undefined;
  readonly app: FastifyInstance | undefined;
  close(): Promise<void>;
}

/**
 * The admin port of `hookgate serve`, `dev` and `worker`: started only when
 * `admin.token` is set, on `admin.host` and `deps.port ?? admin.port`.
 */
export async function startAdmin(config: Config, deps: AdminDeps): Promise<RunningAdmin> {
  const { logger, metrics } = deps;
  if (!config.admin.token) {
    logger.info('admin API off: admin.token is not set');
    return { url: undefined, app: undefined, close: async () => {} };
  }
  const ownQueues = !deps.queues;
  const queues = deps.queues ?? openStore(config, 'enqueue');
  // With `eventLog`: history and dead letters come from PostgreSQL too; the schema is
  // made or migrated now, without holding up the start (PostgreSQL may be away).
  const eventLog = openEventLog(config);
  eventLog
    ?.ready()
    .catch((err: unknown) =>
      logger.warn({ err: String(err) }, 'event log: migrating the schema failed; retrying on the next read'),
    );
  let app: FastifyInstance;
  try {
    app = await buildAdmin({
      config,
      logger,
      metrics,
      queues,
      deadLetters: createDeadLetterStore(queues, config, eventLog),
      events: createEventHistory(queues, config, eventLog),
      ...(eventLog ? { eventLog } : {}),
    });
    await app.listen({ host: config.admin.host, port: deps.port ?? config.admin.port });
  } catch (err) {
    if (ownQueues) await queues.close();
    await eventLog?.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `admin port ${config.admin.host}:${deps.port ?? config.admin.port} is already in use ` +
          '(admin.port for serve/dev, worker.adminPort for a worker)',
        { cause: err },
      );
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (deps.port ?? config.admin.port);
  const host = config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host;
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'admin API listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    app,
    close: () =>
      (closed ??= (async () => {
        // Admin calls are short; the dashboard's polling must not hold up a shutdown.
        const force = setTimeout(() => app.server.closeAllConnections(), config.server.shutdownTimeout);
        force.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(force);
          if (ownQueues) await queues.close();
          await eventLog?.close();
        }
      })()),
  };
}

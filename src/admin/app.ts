import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { DeadLetterStore } from '../dead-letter/store.js';
import type { EventLog } from '../event-log/log.js';
import type { EventHistory } from '../events/history.js';
import { clientErrorHandler, frameworkErrors } from '../http-errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../queue/delivery-queues.js';
import { hasBearer, requireBearer } from './auth.js';
import { registerConsole } from './console/routes.js';
import { registerDashboard } from './dashboard.js';
import { registerDeadLetterRoutes } from './dead-letter-routes.js';
import { registerDestinationRoutes } from './destination-routes.js';
import { adminErrors, installAdminErrorHandler, sendError } from './errors.js';
import { registerEventRoutes } from './event-routes.js';
import { registerLogin } from './login.js';
import { registerMetricsRoute } from './metrics-route.js';

const ADMIN_BODY_LIMIT = 1024 * 1024;

export interface AdminOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  deadLetters: DeadLetterStore;
  events: EventHistory;
  queues: Store;
  /** With `eventLog`: the log the history reads (the console reads proxy answers from it too). */
  eventLog?: EventLog;
  now?: () => number;
}

/**
 * The admin port as a Fastify instance (not listening: tests `inject()`, startAdmin()
 * listens). Auth is per scope: the JSON API and `/metrics` take only
 * `Authorization: Bearer <admin.token>`; the dashboard also takes the session cookie
 * set by `/admin/login`, and the console (`/admin/`, src/admin/console) takes only that
 * cookie, with a CSRF token on every action. The stores and queues are the caller's to close.
 */
export async function buildAdmin(options: AdminOptions): Promise<FastifyInstance> {
  const { config, logger, metrics, deadLetters, events, queues } = options;
  const token = config.admin.token;
  if (!token) throw new Error('admin.token is not set: the admin API is off');

  const app = Fastify({
    loggerInstance: logger.child({ component: 'admin' }),
    // Fastify's own lines would log `/admin/login?token=...`; ours leave the query out.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxy(config.server.trustProxy),
    bodyLimit: ADMIN_BODY_LIMIT,
    // Malformed URLs and unparseable requests in the error format, as on the webhook port.
    frameworkErrors: frameworkErrors(ADMIN_BODY_LIMIT),
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  installAdminErrorHandler(app);
  app.addHook('onResponse', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const line = {
      method: req.method,
      path,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (isOperatorAction(req.method, path, req.url)) req.log.info(line, 'admin request');
    else req.log.debug(line, 'admin request');
  });
  // Unknown paths answer 401 to a caller without the token, so they reveal nothing either.
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, hasBearer(req, token) ? adminErrors.routeNotFound() : adminErrors.unauthorized()),
  );

  await app.register((scope, _opts, done) => {
    registerLogin(scope, token, options.now ? { now: options.now } : {});
    done();
  });
  await app.register(async (scope) =>
    registerConsole(scope, {
      token,
      config,
      events,
      deadLetters,
      queues,
      ...(options.eventLog ? { eventLog: options.eventLog } : {}),
      ...(options.now ? { now: options.now } : {}),
    }),
  );
  await registerDashboard(app, token, queues, Object.keys(config.destinations), {
    readOnly: config.admin.dashboard.readOnly,
  });
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async stands for done()
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireBearer(token));
    registerMetricsRoute(scope, { config, logger, metrics, queues, deadLetters });
    registerEventRoutes(scope, events);
    registerDeadLetterRoutes(scope, deadLetters, config);
    registerDestinationRoutes(scope, queues, config);
  });
  return app;
}

/**
 * What an operator did (a replay, a purge, any write; signing in or out) is one info line;
 * reads are debug. The dashboard polls its API every few seconds and loads a dozen
 * assets per page, and Prometheus scrapes `/metrics`: at info they drowned the actions
 * (299 of 345 lines after a few minutes of use).
 */
export function isOperatorAction(method: string, path: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return true;
  if (path === '/admin/logout') return true;
  return path === '/admin/login' && new URLSearchParams(url.slice(path.length + 1)).has('token');
}

/** As the ingress: a hop count becomes a function, so `req.protocol` sees the proxy's https. */
function trustProxy(
  value: Config['server']['trustProxy'],
): boolean | string | ((addr: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_addr, hop) => hop < value : value;
}

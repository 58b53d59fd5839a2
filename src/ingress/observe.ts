import type { FastifyInstance } from 'fastify';
import type { IngressContext } from './context.js';
import { splitUrl } from './public-url.js';

/**
 * One log line per request (source, status, event id, duration) and the ingress
 * metrics. The path is logged without its query string: `api-key` sources may carry
 * their key there. Headers are not logged; were they, pino redaction covers them.
 *
 * A 2xx is logged at `debug`, every other answer at `info`: an accepted webhook is
 * already its stored event (`events show`, the event log) and a count in
 * `ingress_requests_total`, and its line was ~8% of `hookgate serve`'s CPU with 1-3 KB
 * Stripe events (a synchronous write per line). A refusal or a failure has no other
 * trace per request, so it keeps its line.
 */
export function observeRequests(app: FastifyInstance, ctx: IngressContext): void {
  // Callback hooks, not async ones: no promise per request for bookkeeping.
  app.addHook('onRequest', (req, _reply, done) => {
    req.receivedAt = ctx.now();
    req.sourceName = req.routeOptions.config?.source;
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const durationMs = reply.elapsedTime;
    const status = reply.statusCode;
    const probe = req.routeOptions.config?.probe === true;
    if (!probe) {
      const source = req.sourceName ?? '';
      ctx.metrics.ingressRequests.inc({ source, status: String(status) });
      ctx.metrics.ingressDuration.observe({ source }, durationMs / 1000);
    }
    const level = probe || status < 300 ? 'debug' : 'info';
    // Built only when written (as the worker's `delivered` line): at the default level a
    // 2xx's line object and path split would be per-request work for nothing.
    // ctx.logger: the request loggers are its children, at its level.
    if (!ctx.logger.isLevelEnabled(level)) return done();
    const line = {
      source: req.sourceName,
      method: req.method,
      path: splitUrl(req.url).path,
      status,
      eventId: reply.eventId,
      durationMs: Math.round(durationMs * 100) / 100,
    };
    req.log[level](line, probe ? 'probe' : 'request');
    done();
  });
}

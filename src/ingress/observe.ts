import type { FastifyInstance } from 'fastify';
import type { IngressContext } from './context.js';
import { splitUrl } from './public-url.js';

/**
 * One log line per request (source, status, event id, duration) and the ingress
 * metrics. The path is logged without its query string: `api-key` sources may carry
 * their key there. Headers are not logged; were they, pino redaction covers them.
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
    const line = {
      source: req.sourceName,
      method: req.method,
      path: splitUrl(req.url).path,
      status: reply.statusCode,
      eventId: reply.eventId,
      durationMs: Math.round(durationMs * 100) / 100,
    };
    if (req.routeOptions.config?.probe) {
      req.log.debug(line, 'probe');
      return done();
    }
    const source = req.sourceName ?? '';
    ctx.metrics.ingressRequests.inc({ source, status: String(reply.statusCode) });
    ctx.metrics.ingressDuration.observe({ source }, durationMs / 1000);
    req.log.info(line, 'request');
    done();
  });
}

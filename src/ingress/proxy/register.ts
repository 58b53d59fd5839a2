import type { ModeRegistrar } from '../context.js';
import { sourceRoute } from '../source-route.js';
import { proxyHandler } from './handler.js';
import { RecordSink } from './record-sink.js';
import { passBodyThrough } from './request-body.js';
import { upstreamTarget } from './target.js';
import { createUpstreamClient } from './upstream-client.js';

/**
 * Proxy mode ("destinations for synchronous invocations"): the source's path and
 * every sub-path under it are forwarded to `upstream.url`, the caller gets the
 * upstream's answer, and the record of both goes to the source's routes.
 *
 * The routes live in a scope of their own so Fastify leaves request bodies unread
 * (see request-body.ts); hooks, rate limit and error handler are the app's.
 */
export const registerProxySource: ModeRegistrar = (app, reg, ctx) => {
  const upstream = reg.source.upstream;
  if (!upstream) throw new Error(`source "${reg.name}": proxy mode needs upstream`);
  const target = upstreamTarget(upstream.url);
  const client = createUpstreamClient(target.url);
  const sink = new RecordSink({
    intakeWriter: ctx.intakeWriter,
    source: reg.name,
    capacity: reg.source.bufferSize,
    logger: ctx.logger,
    metrics: ctx.metrics,
  });
  const base = reg.path.replace(/\/+$/, '');
  const proxy = { reg, ctx, client, target, sink };

  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async stands for done()
  app.register(async (scope) => {
    passBodyThrough(scope);
    scope.route(sourceRoute(reg, proxyHandler(proxy, reg.path)));
    scope.route({ ...sourceRoute(reg, proxyHandler(proxy, `${base}/{proxy+}`)), url: `${base}/*` });

    // The shutdown budget runs from the first step of close(), not from this hook,
    // which only comes after in-flight requests have drained.
    let closeStarted = Date.now();
    // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook: async stands for done()
    scope.addHook('preClose', async () => {
      closeStarted = Date.now();
    });
    scope.addHook('onClose', async () => {
      await sink.close(closeStarted + ctx.config.server.shutdownTimeout);
      client.close();
    });
  });
};

import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { DeadLetterStore } from '../dead-letter/store.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { sampleQueueMetrics } from '../metrics/sampler.js';
import type { Store } from '../queue/delivery-queues.js';

/** A scrape waits this long for fresh queue depths, then answers with the last ones. */
const SAMPLE_BUDGET_MS = 2000;

/**
 * `GET /metrics`: this process's registry in Prometheus text format. Queue depths
 * (`queue_jobs`, `dead_letters`) are sampled from Redis on each scrape, one sample at
 * a time however many scrapers ask; when Redis is slow or away the scrape still
 * answers, with the last values, so the process's own counters are never lost to an
 * outage they may be describing.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  deps: { config: Config; logger: Logger; metrics: Metrics; queues: Store; deadLetters: DeadLetterStore },
): void {
  const { config, logger, metrics, queues } = deps;
  let inFlight: Promise<void> | undefined;
  const sample = () =>
    (inFlight ??= (async () => {
      await queues.ready(SAMPLE_BUDGET_MS);
      await sampleQueueMetrics(queues, metrics, config);
    })().finally(() => {
      inFlight = undefined;
    }));

  app.get('/metrics', async (_req, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), SAMPLE_BUDGET_MS);
    });
    try {
      const outcome = await Promise.race([sample().then(() => 'fresh' as const), budget]);
      if (outcome === 'late')
        logger.warn('metrics: queue depths not sampled in time; serving the last values');
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'metrics: queue depths not sampled; serving the last values',
      );
    } finally {
      clearTimeout(timer);
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

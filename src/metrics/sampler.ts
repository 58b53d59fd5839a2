import type { Config } from '../config/schema.js';
import { DESTINATION_STATES, listDestinations } from '../queue/controls.js';
import type { Store } from '../queue/delivery-queues.js';
import { deliveryQueueName } from '../queue/keys.js';
import type { Metrics } from './registry.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/**
 * Sets the sampled gauges from Redis: `queue_jobs{queue,state}` per destination
 * queue, `dead_letters`, `destination_state` and `deliveries_waiting`. Counts only,
 * so it can run on every scrape as well as on a timer. It lives below both callers
 * (the worker's timer, admin's `/metrics`), needing nothing of either.
 */
export async function sampleQueueMetrics(store: Store, metrics: Metrics, config: Config): Promise<void> {
  if (store.logged) {
    // Registered only with an event log, so an install without one shows no such series.
    if (!metrics.registry.getSingleMetric('hookgate_event_log_lag_seconds'))
      metrics.registry.registerMetric(metrics.eventLogLag);
    metrics.eventLogLag.set(await eventLogLag(store));
  }
  const destinations = await listDestinations(store, config);
  metrics.queueJobs.reset();
  metrics.deadLetters.reset();
  metrics.destinationState.reset();
  metrics.deliveriesWaiting.reset();
  const counts = await Promise.all(destinations.map((d) => store.queue(d.name).getJobCounts(...STATES)));
  destinations.forEach((d, i) => {
    const queue = deliveryQueueName(d.name);
    for (const state of STATES) metrics.queueJobs.set({ queue, state }, counts[i]![state] ?? 0);
    // Every configured destination reports, 0 included, so alerts see a drop to zero.
    metrics.deadLetters.set({ destination: d.name }, d.deadLetters);
    metrics.deliveriesWaiting.set({ destination: d.name }, d.waiting);
    for (const state of DESTINATION_STATES)
      metrics.destinationState.set({ destination: d.name, state }, state === d.state ? 1 : 0);
  });
}

/**
 * Seconds since the oldest entry of any partition's log stream was added (entries
 * leave once written).
 */
export async function eventLogLag(store: Store, now = Date.now()): Promise<number> {
  const partitions = await store.allPartitions();
  const firsts = await Promise.all(
    partitions.map(
      (p) => store.redis.xrange(p.keys.log, '-', '+', 'COUNT', 1) as Promise<[string, string[]][]>,
    ),
  );
  let oldest = now;
  for (const first of firsts) if (first.length) oldest = Math.min(oldest, Number(first[0]![0].split('-')[0]));
  return Math.max(0, now - oldest) / 1000;
}

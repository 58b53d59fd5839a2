import type { Config } from '../config/schema.js';
import type { DeadLetterStore } from '../dead-letter/store.js';
import type { Metrics } from '../metrics/registry.js';
import type { Queues } from './queues.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * Sets `queue_jobs{queue,state}` and `dead_letters{destination}` from Redis. Cheap
 * (counts and ids only), so it can run on every scrape as well as on a timer.
 */
export async function sampleQueueMetrics(
  queues: Queues,
  store: DeadLetterStore,
  metrics: Metrics,
  config: Config,
): Promise<void> {
  for (const queue of [queues.events, queues.deliveries]) {
    const counts = await queue.getJobCounts(...STATES);
    for (const state of STATES) metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
  }
  const dead = await store.countByDestination();
  // Every configured destination reports, 0 included, so alerts see a drop to zero.
  metrics.deadLetters.reset();
  for (const name of Object.keys(config.destinations)) metrics.deadLetters.set({ destination: name }, 0);
  for (const [name, n] of dead) metrics.deadLetters.set({ destination: name }, n);
}

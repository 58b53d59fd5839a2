import type { Store } from '../queue/delivery-queues.js';

/**
 * BullMQ evicts aged failed jobs only when another job fails; with no new failures
 * an old dead letter would outlive `retention.deadLetters`. This sweeps them, in
 * every destination queue. Returns how many were removed.
 */
export async function sweepDeadLetters(store: Store, retentionMs: number, batch = 1000): Promise<number> {
  let removed = 0;
  for (const destination of await store.destinations()) {
    for (;;) {
      const ids = await store.queue(destination).clean(retentionMs, batch, 'failed');
      removed += ids.length;
      if (ids.length < batch) break;
    }
  }
  return removed;
}

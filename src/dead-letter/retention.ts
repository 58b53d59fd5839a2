import type { Queues } from '../worker/queues.js';

/**
 * BullMQ evicts aged failed jobs only when another job fails; with no new failures
 * an old dead letter would outlive `retention.deadLetters`. This sweeps them.
 * Returns how many were removed.
 */
export async function sweepDeadLetters(queues: Queues, retentionMs: number, batch = 1000): Promise<number> {
  let removed = 0;
  for (;;) {
    const ids = await queues.deliveries.clean(retentionMs, batch, 'failed');
    removed += ids.length;
    if (ids.length < batch) return removed;
  }
}

import type { AttemptRecord } from './attempts.js';
import type { Store } from './delivery-queues.js';

/**
 * What became of a delivery after routing settled the event (a retry that finally
 * delivered or dead-lettered, a replay), at `EventKeys.status(id)`, field = delivery
 * key. It overrides the event's marks (stored-event.ts) for that delivery.
 */
export interface DeliveryStatusEntry {
  state: 'pending' | 'delivered' | 'failed';
  /** Every attempt (delivered: folded in from the job, which is then removed). */
  attempts?: AttemptRecord[];
}

export function parseStatusEntry(text: string): DeliveryStatusEntry | undefined {
  try {
    const v = JSON.parse(text) as DeliveryStatusEntry;
    return v && typeof v === 'object' && typeof v.state === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a delivery's status. `keepMs`: how long the event's status (and, for a dead
 * letter, its record, which the dead letter reads) must stay at least.
 */
export async function writeDeliveryStatus(
  store: Store,
  eventId: string,
  key: string,
  entry: DeliveryStatusEntry,
  keepMs: number,
): Promise<void> {
  const status = store.keys.status(eventId);
  const pipe = store.redis.pipeline().hset(status, key, JSON.stringify(entry)).pexpire(status, keepMs, 'GT');
  // PEXPIRE GT leaves a key without expiry alone: give a new one its first.
  pipe.pexpire(status, keepMs, 'NX');
  if (entry.state !== 'delivered') {
    const record = store.keys.record(eventId);
    pipe.pexpire(record, keepMs, 'GT');
  }
  await pipe.exec();
}

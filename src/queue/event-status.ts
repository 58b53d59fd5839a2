import type { AttemptRecord } from './attempts.js';
import type { Store } from './delivery-queues.js';
import type { EventKeys } from './keys.js';

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
 * Writes a delivery's status (and, with an event log, tells the log writer). `keepMs`: how long the event's status (and, for a dead
 * letter, its record, which the dead letter reads) must stay at least.
 */
export async function writeDeliveryStatus(
  store: Store,
  keys: EventKeys,
  eventId: string,
  key: string,
  entry: DeliveryStatusEntry,
  keepMs: number,
): Promise<void> {
  const status = keys.status(eventId);
  const pipe = store.redis.pipeline().hset(status, key, JSON.stringify(entry)).pexpire(status, keepMs, 'GT');
  // PEXPIRE GT leaves a key without expiry alone: give a new one its first.
  pipe.pexpire(status, keepMs, 'NX');
  if (entry.state !== 'delivered') {
    const record = keys.record(eventId);
    pipe.pexpire(record, keepMs, 'GT');
  }
  // The log writer reads the event's whole state again when it takes this entry.
  if (store.logged) pipe.xadd(keys.log, '*', 'i', eventId);
  await pipe.exec();
}

/**
 * Marks deliveries pending (a replay) and, for an event Redis let go of once the
 * event log had it, first puts back its record and its deliveries' history, in one
 * script: the log writer lets go of an event only while none of its deliveries is
 * pending, so it cannot take the record away again before the new jobs run.
 * Returns false when there is no record (and none was given).
 * KEYS: record, status, log stream. ARGV: keep ms, record or '', logged, event id,
 * n restored, n × (key, entry) restored (an entry Redis has is kept), then (key, entry) pending.
 */
const MARK_PENDING = `
if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i < #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'GT')
redis.call('PEXPIRE', KEYS[2], ARGV[1], 'GT')
redis.call('PEXPIRE', KEYS[2], ARGV[1], 'NX')
if ARGV[3] == '1' then redis.call('XADD', KEYS[3], '*', 'i', ARGV[4]) end
return 1`;

type MarkCommands = { hgMarkPending(...args: (string | number | Buffer)[]): Promise<number> };

export interface RestoredEvent {
  /** The stored-event value to put back (stored-event.ts). */
  value: Buffer;
  /** Each earlier delivery's state and attempts, as the log has them. */
  statuses: [key: string, entry: DeliveryStatusEntry][];
}

export async function markPending(
  store: Store,
  at: EventKeys,
  eventId: string,
  keys: readonly string[],
  keepMs: number,
  restore?: RestoredEvent,
): Promise<boolean> {
  const redis = store.redis;
  if (!(redis as unknown as Partial<MarkCommands>).hgMarkPending)
    redis.defineCommand('hgMarkPending', { numberOfKeys: 3, lua: MARK_PENDING });
  const pending = JSON.stringify({ state: 'pending' } satisfies DeliveryStatusEntry);
  const restored = restore?.statuses ?? [];
  const ok = await (redis as unknown as MarkCommands).hgMarkPending(
    at.record(eventId),
    at.status(eventId),
    at.log,
    keepMs,
    restore?.value ?? '',
    store.logged ? '1' : '0',
    eventId,
    restored.length,
    ...restored.flatMap(([k, e]) => [k, JSON.stringify(e)]),
    ...keys.flatMap((k) => [k, pending]),
  );
  return ok === 1;
}

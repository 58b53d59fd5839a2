import { createHash } from 'node:crypto';

/**
 * Every Redis key hookgate itself writes (BullMQ writes its own under
 * `<prefix>:<queue>:*`). One function per key, so the layout is written down once
 * (docs/storage.md draws it) and a later change can spread the per-event keys over
 * several hash-tag partitions by giving `eventKeys` a partition's prefix.
 *
 * All keys of an install share `prefix`: with Redis Cluster the prefix carries the
 * `{hash tag}`, so the scripts that touch several of them at once stay in one slot.
 */
export interface EventKeys {
  /** Intake stream: one small entry per accepted event (`i` id, `s` source, `t` type, `k` dedupe key). Also the time index `events list` walks; trimmed to `retention.events`. */
  intake: string;
  /** The stored record of one event (see stored-event.ts), kept `retention.events`. */
  record(eventId: string): string;
  /** What became of deliveries settled after routing (retries, replays), field = delivery key. */
  status(eventId: string): string;
  /** A provider event id seen within `retention.dedupe` -> the event id it was accepted as. */
  dedupe(source: string, key: string): string;
  /**
   * With an event log: stream of events whose state changed and is not yet in
   * PostgreSQL (`i` id, and at settling `s`/`t`/`k` as on the intake), group `log`.
   * The log writer removes each entry once PostgreSQL has the state it read.
   */
  log: string;
}

export interface ControlKeys {
  /** Hash: `<destination>` -> ISO time it was paused. Shared by every worker; survives restarts. */
  paused: string;
  /** Hash per destination: the circuit breaker (`f` failures in a row, `u` suspended until, `c` cooldown). */
  breaker(destination: string): string;
  /** The one probe delivery a half-open breaker lets through. */
  probe(destination: string): string;
  /** Hash per minute: `<destination>:ok|fail` counters, kept 10 minutes (the 5-minute success rate). */
  stats(minute: number): string;
  /** Hash: `<destination>` -> `{at, error}` of its last failed attempt. */
  lastError: string;
  /** Hash: `<worker id>|<destination>` -> `<in flight>|<ms>`: each worker's direct deliveries in flight, refreshed every second. */
  inFlight: string;
}

/** Group of the intake stream: every worker process is a consumer of it. */
export const INTAKE_GROUP = 'workers';
/** Group of the event-log stream: every worker's log writer is a consumer of it. */
export const LOG_GROUP = 'log';

/**
 * BullMQ queue of one destination: its retries, deliveries waiting (paused, suspended,
 * rate-limited, or more than the worker can take at once) and, as the failed set,
 * its dead letters. One queue per destination, so each has its own concurrency,
 * rate limit and pause, and one that stalls never holds up another.
 */
export function deliveryQueueName(destination: string): string {
  return `deliveries.${destination}`;
}

export function destinationOfQueue(queueName: string): string | undefined {
  return queueName.startsWith('deliveries.') ? queueName.slice('deliveries.'.length) : undefined;
}

/**
 * Provider ids are short; anything long is hashed so a hostile sender cannot make
 * hookgate store arbitrarily large keys.
 */
export function dedupePart(key: string): string {
  return key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function eventKeys(prefix: string): EventKeys {
  const base = `${prefix}:hg`;
  return {
    intake: `${base}:in`,
    record: (id) => `${base}:e:${id}`,
    status: (id) => `${base}:s:${id}`,
    dedupe: (source, key) => `${base}:dd:${source}:${dedupePart(key)}`,
    log: `${base}:log`,
  };
}

export function controlKeys(prefix: string): ControlKeys {
  const base = `${prefix}:hg`;
  return {
    paused: `${base}:paused`,
    breaker: (d) => `${base}:brk:${d}`,
    probe: (d) => `${base}:probe:${d}`,
    stats: (minute) => `${base}:stats:${minute}`,
    lastError: `${base}:lasterr`,
    inFlight: `${base}:inflight`,
  };
}

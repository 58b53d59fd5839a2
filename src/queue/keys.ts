import { createHash } from 'node:crypto';
import { hasHashTag } from '../config/schema.js';

/**
 * Every Redis key hookgate itself writes (BullMQ writes its own under
 * `<prefix>:<queue>:*`). One function per key, so the layout is written down once
 * (docs/storage.md draws it).
 *
 * Two kinds of keys. An event's own keys (`EventKeys`: intake, record, status,
 * dedupe, log) live in its partition, under the partition's prefix; the scripts
 * that touch several of them at once touch one partition's only. What every
 * partition shares (`ControlKeys`, the BullMQ delivery queues, the layouts
 * registry) lives under the install's global prefix. With `redis.partitions: 1` the
 * one partition's prefix is the global prefix (the layout before partitions); with
 * N > 1 they are the hash tags `{<prefix>:0}` … `{<prefix>:N-1}`, so in a Redis
 * Cluster each partition hashes to its own slot and the slots spread over the shards.
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

/** One partition of a layout: the keys of the events that hash to it. */
export interface Partition {
  /** Prefix of its keys, e.g. `{hookgate:3}` (N > 1) or the global prefix (N = 1). */
  readonly prefix: string;
  readonly index: number;
  /** Partitions in its layout. */
  readonly count: number;
  readonly keys: EventKeys;
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
  /**
   * Hash: partition count -> when a process last wrote or read with that layout (ms).
   * Workers drain every layout in it (a changed `redis.partitions` leaves the old
   * one's events behind), and drop one once it is stale and empty.
   */
  layouts: string;
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
    layouts: `${base}:layouts`,
  };
}

export interface PrefixSettings {
  prefix: string;
  partitions: number;
  /** Redis Cluster (the global keys then need a hash tag). */
  cluster?: unknown;
}

/**
 * The prefix of what every partition shares. The configured prefix when it has a
 * hash tag or needs none (one Redis; or one partition, where the config requires
 * the tag in cluster mode); in a cluster with N > 1 and no tag given, the prefix
 * made a tag. So an install that goes from 1 to N partitions keeps its queues,
 * pause state and breakers where they were: `hookgate` stays `hookgate` on one
 * Redis, `{hookgate}` (written so for a cluster with 1) stays `{hookgate}`.
 */
export function globalPrefix(settings: PrefixSettings): string {
  const { prefix } = settings;
  if (settings.partitions <= 1 || !settings.cluster || hasHashTag(prefix)) return prefix;
  return `{${prefix}}`;
}

/** The configured prefix without its braces: the name inside the partitions' tags. */
function tagName(prefix: string): string {
  return prefix.replace(/[{}]/g, '') || 'hookgate';
}

/**
 * The partitions of a layout of `count` under these settings: one at the global
 * prefix for 1 (the layout every install had before partitions), else `{<name>:<i>}`.
 */
export function layoutOf(settings: PrefixSettings, count: number): Partition[] {
  if (count <= 1) {
    const prefix = globalPrefix(settings);
    return [{ prefix, index: 0, count: 1, keys: eventKeys(prefix) }];
  }
  const name = tagName(settings.prefix);
  return Array.from({ length: count }, (_, index) => {
    const prefix = `{${name}:${index}}`;
    return { prefix, index, count, keys: eventKeys(prefix) };
  });
}

/**
 * Which partition an event with this dedupe key goes to: the same on every gateway,
 * so a provider's retry meets the key of its first delivery wherever it lands.
 * FNV-1a over the source and the key (stable across versions and processes).
 */
export function dedupePartition(source: string, key: string, count: number): number {
  if (count <= 1) return 0;
  let h = 0x811c9dc5;
  const text = `${source}\n${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/**
 * The partition a new event goes to: its dedupe key's (so dedupe holds across
 * gateways), else any; its id then names it (record/id.ts).
 */
export function choosePartition(
  source: string,
  dedupeKey: string | undefined,
  count: number,
  random: () => number = Math.random,
): number {
  if (count <= 1) return 0;
  return dedupeKey !== undefined ? dedupePartition(source, dedupeKey, count) : Math.floor(random() * count);
}

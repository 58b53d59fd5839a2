import type { Config } from '../config/schema.js';
import type { Store } from './delivery-queues.js';

/**
 * Destination controls shared by every worker and read by the admin API and the CLI:
 * pause/resume, the circuit breaker, and the counters `destinations list` shows.
 * State lives in Redis, so it is global (every worker obeys it) and survives restarts.
 */
export type DestinationState = 'active' | 'paused' | 'suspended';
export const DESTINATION_STATES: readonly DestinationState[] = ['active', 'paused', 'suspended'];

export interface BreakerPolicy {
  failures: number;
  cooldown: number;
  maxCooldown: number;
}

const DEFAULT_BREAKER: BreakerPolicy = { failures: 10, cooldown: 30_000, maxCooldown: 600_000 };

/**
 * The destination's breaker: its own keys over `defaults.breaker`; `undefined` when
 * turned off (`breaker: false` on the destination, or in `defaults` without the
 * destination turning it back on).
 */
export function breakerPolicyFor(config: Config, destination: string): BreakerPolicy | undefined {
  const own = config.destinations[destination]?.breaker;
  const base = config.defaults.breaker;
  if (own === false || (base === false && own === undefined)) return undefined;
  const b = base === false ? DEFAULT_BREAKER : base;
  return {
    failures: own?.failures ?? b.failures,
    cooldown: own?.cooldown ?? b.cooldown,
    maxCooldown: own?.maxCooldown ?? b.maxCooldown,
  };
}

export function concurrencyFor(config: Config, destination: string): number {
  return config.destinations[destination]?.concurrency ?? config.defaults.concurrency;
}

/** Breaker as stored: failures in a row, suspended until (epoch ms, 0 = closed), current cooldown. */
export interface BreakerState {
  failures: number;
  until: number;
  cooldown: number;
}

/**
 * A retryable failure. Closed: count it; at `failures` in a row open the breaker for
 * `cooldown`. A failed probe (half-open) doubles the cooldown, up to `maxCooldown`.
 * A failure of an attempt that started before the breaker opened changes nothing.
 * Returns the time the destination is suspended until (0: not suspended).
 */
const BREAKER_FAIL = `
local suspended = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
local now = tonumber(ARGV[4])
if ARGV[5] == '1' then
  local cd = math.min(tonumber(redis.call('HGET', KEYS[1], 'c') or ARGV[2]) * 2, tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'c', cd, 'u', now + cd)
  redis.call('DEL', KEYS[2])
  return now + cd
end
if suspended > 0 then return suspended end
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
if f >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'c', ARGV[2], 'u', now + tonumber(ARGV[2]))
  return now + tonumber(ARGV[2])
end
return 0`;

type ControlCommands = {
  hgBreakerFail(...args: (string | number)[]): Promise<number>;
};

export interface DestinationControls {
  pause(destination: string): Promise<void>;
  resume(destination: string): Promise<void>;
  /** Paused destinations -> when. */
  paused(): Promise<Map<string, string>>;
  breaker(destination: string): Promise<BreakerState>;
  /** Many breakers in one round trip. */
  breakers(destinations: readonly string[]): Promise<Map<string, BreakerState>>;
  /** See BREAKER_FAIL. `probe`: this attempt was the half-open breaker's probe. */
  breakerFailure(destination: string, policy: BreakerPolicy, probe: boolean, now?: number): Promise<number>;
  /** Closes the breaker (a delivery succeeded). */
  breakerSuccess(destination: string): Promise<void>;
  /** The one probe of a half-open breaker: true for the caller that gets it. */
  claimProbe(destination: string, holdMs: number): Promise<boolean>;
}

export function destinationControls(store: Store): DestinationControls {
  const { redis, controls: keys } = store;
  if (!(redis as unknown as Partial<ControlCommands>).hgBreakerFail)
    redis.defineCommand('hgBreakerFail', { numberOfKeys: 2, lua: BREAKER_FAIL });
  const commands = redis as unknown as ControlCommands;
  const parse = (h: Record<string, string>): BreakerState => ({
    failures: Number(h.f ?? 0),
    until: Number(h.u ?? 0),
    cooldown: Number(h.c ?? 0),
  });
  return {
    async pause(destination) {
      await store.ready();
      await redis.hset(keys.paused, destination, new Date().toISOString());
      // BullMQ's own pause stops every worker fetching from the queue; ours tells
      // the direct path (and survives a queue that does not exist yet).
      await store.queue(destination).pause();
    },
    async resume(destination) {
      await store.ready();
      await redis.hdel(keys.paused, destination);
      await store.queue(destination).resume();
    },
    async paused() {
      await store.ready();
      return new Map(Object.entries(await redis.hgetall(keys.paused)));
    },
    async breaker(destination) {
      await store.ready();
      return parse(await redis.hgetall(keys.breaker(destination)));
    },
    async breakers(destinations) {
      await store.ready();
      const out = new Map<string, BreakerState>();
      if (destinations.length === 0) return out;
      const pipe = redis.pipeline();
      for (const d of destinations) pipe.hgetall(keys.breaker(d));
      const results = (await pipe.exec()) ?? [];
      destinations.forEach((d, i) => {
        const [err, value] = results[i] ?? [];
        out.set(d, err ? { failures: 0, until: 0, cooldown: 0 } : parse(value as Record<string, string>));
      });
      return out;
    },
    breakerFailure(destination, policy, probe, now = Date.now()) {
      return commands.hgBreakerFail(
        keys.breaker(destination),
        keys.probe(destination),
        policy.failures,
        policy.cooldown,
        policy.maxCooldown,
        now,
        probe ? '1' : '0',
      );
    },
    async breakerSuccess(destination) {
      await redis.del(keys.breaker(destination), keys.probe(destination));
    },
    async claimProbe(destination, holdMs) {
      return (await redis.set(keys.probe(destination), '1', 'PX', Math.max(1, holdMs), 'NX')) === 'OK';
    },
  };
}

/** What a worker reports every second: counts since the last report, and its direct deliveries in flight now. */
export interface WorkerReport {
  workerId: string;
  outcomes: Map<string, { ok: number; fail: number }>;
  lastErrors: Map<string, { at: string; error: string }>;
  inFlight: Map<string, number>;
}

const STATS_KEEP_S = 600;
/** A worker's in-flight report older than this is from a worker that is gone. */
const IN_FLIGHT_FRESH_MS = 5000;

export async function writeWorkerReport(store: Store, report: WorkerReport, now = Date.now()): Promise<void> {
  const { redis, controls: keys } = store;
  const pipe = redis.pipeline();
  const minute = Math.floor(now / 60_000);
  if (report.outcomes.size) {
    const stats = keys.stats(minute);
    for (const [d, { ok, fail }] of report.outcomes) {
      if (ok) pipe.hincrby(stats, `${d}:ok`, ok);
      if (fail) pipe.hincrby(stats, `${d}:fail`, fail);
    }
    pipe.expire(stats, STATS_KEEP_S);
  }
  for (const [d, e] of report.lastErrors) pipe.hset(keys.lastError, d, JSON.stringify(e));
  for (const [d, n] of report.inFlight) pipe.hset(keys.inFlight, `${report.workerId}|${d}`, `${n}|${now}`);
  if (pipe.length) await pipe.exec();
}

export interface DestinationInfo {
  name: string;
  type: string;
  state: DestinationState;
  /** Deliveries in its queue not yet attempted or due again (waiting, delayed, paused). */
  waiting: number;
  /** Attempts under way now, across workers. */
  inFlight: number;
  /** Attempts in the last 5 minutes that delivered / failed. */
  delivered5m: number;
  failed5m: number;
  deadLetters: number;
  lastError?: { at: string; error: string };
  pausedAt?: string;
  /** `suspended`: until when (ISO). */
  suspendedUntil?: string;
  concurrency: number;
  rateLimit?: { max: number; window: number };
}

/** Every configured destination's state and counters (`hookgate destinations list`, `GET /admin/destinations`). */
export async function listDestinations(
  store: Store,
  config: Config,
  now = Date.now(),
): Promise<DestinationInfo[]> {
  await store.ready();
  const names = Object.keys(config.destinations).sort();
  const controls = destinationControls(store);
  const { redis, controls: keys } = store;
  const minute = Math.floor(now / 60_000);
  const [paused, breakers, lastErrors, inFlightRaw, ...stats] = await Promise.all([
    controls.paused(),
    controls.breakers(names),
    redis.hgetall(keys.lastError),
    redis.hgetall(keys.inFlight),
    ...[0, 1, 2, 3, 4].map((m) => redis.hgetall(keys.stats(minute - m))),
  ]);
  const inFlight = new Map<string, number>();
  const stale: string[] = [];
  for (const [field, value] of Object.entries(inFlightRaw)) {
    const [n, at] = value.split('|').map(Number);
    const d = field.slice(field.indexOf('|') + 1);
    if (now - (at ?? 0) > IN_FLIGHT_FRESH_MS) stale.push(field);
    else inFlight.set(d, (inFlight.get(d) ?? 0) + (n ?? 0));
  }
  if (stale.length) await redis.hdel(keys.inFlight, ...stale);
  const counts = await Promise.all(
    names.map((d) => store.queue(d).getJobCounts('wait', 'delayed', 'prioritized', 'active', 'failed')),
  );
  return names.map((name, i) => {
    const c = counts[i]!;
    const sum = (field: string) => stats.reduce((acc, h) => acc + Number(h[field] ?? 0), 0);
    const breaker = breakers.get(name);
    const state: DestinationState = paused.has(name)
      ? 'paused'
      : breaker && breaker.until > now
        ? 'suspended'
        : 'active';
    const opts = config.destinations[name]!;
    const info: DestinationInfo = {
      name,
      type: opts.type,
      state,
      waiting: (c.wait ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
      inFlight: (c.active ?? 0) + (inFlight.get(name) ?? 0),
      delivered5m: sum(`${name}:ok`),
      failed5m: sum(`${name}:fail`),
      deadLetters: c.failed ?? 0,
      concurrency: concurrencyFor(config, name),
    };
    if (opts.rateLimit) info.rateLimit = opts.rateLimit;
    const last = lastErrors[name];
    if (last) {
      try {
        info.lastError = JSON.parse(last) as { at: string; error: string };
      } catch {
        // written by hand: not ours to show
      }
    }
    const pausedAt = paused.get(name);
    if (pausedAt) info.pausedAt = pausedAt;
    if (breaker && breaker.until > now) info.suspendedUntil = new Date(breaker.until).toISOString();
    return info;
  });
}

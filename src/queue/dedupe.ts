import { createHash } from 'node:crypto';
import type { RedisConnection } from './connection.js';

/**
 * Dedupe keys live under the prefix, one per (source, provider event id), for
 * `retention.events`; the value is the id of the event that claimed it.
 * Provider ids are short; anything long is hashed so a hostile sender cannot make
 * hookgate store arbitrarily large keys.
 */
export function dedupeRedisKey(prefix: string, source: string, key: string): string {
  const k = key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
  return `${prefix}:dedupe:${source}:${k}`;
}

/**
 * `claimed`: this event owns the key, go on and enqueue it.
 * `duplicate`: an earlier event owns it and its job exists: answer with that id.
 * `in-flight`: an earlier event owns it but its job is not there (yet): it is being
 *   enqueued right now, or was not stored. Answering 2xx could acknowledge an event
 *   that never lands, so the caller answers 503 and the provider retries.
 * A key whose job is still missing after `inFlightMs` is stale (its enqueue failed
 * and the clean-up could not reach Redis): the new event takes it over.
 */
export type Claim = { state: 'claimed' } | { state: 'duplicate' | 'in-flight'; eventId: string };

// The job key is not declared in KEYS because it depends on the stored id; in
// cluster mode the prefix must carry a hash tag (BullMQ requires one anyway), which
// keeps the dedupe key and the job hash in one slot.
const CLAIM = `
local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if ok then return {'claimed', ARGV[1]} end
local original = redis.call('GET', KEYS[1])
if redis.call('EXISTS', ARGV[3] .. original) == 1 then return {'duplicate', original} end
local age = tonumber(ARGV[2]) - redis.call('PTTL', KEYS[1])
if age < tonumber(ARGV[4]) then return {'in-flight', original} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'claimed', ARGV[1]}
`;

/** Deletes the key only while it still names this event (never another event's claim). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface DedupeCommands {
  hookgateDedupeClaim(
    key: string,
    eventId: string,
    ttlMs: number,
    jobKeyPrefix: string,
    inFlightMs: number,
  ): Promise<[string, string]>;
  hookgateDedupeRelease(key: string, eventId: string): Promise<number>;
}

export function defineDedupeCommands(redis: RedisConnection): void {
  redis.defineCommand('hookgateDedupeClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('hookgateDedupeRelease', { numberOfKeys: 1, lua: RELEASE });
}

export async function claimDedupeKey(
  redis: RedisConnection,
  args: { key: string; eventId: string; ttlMs: number; jobKeyPrefix: string; inFlightMs: number },
): Promise<Claim> {
  const [state, eventId] = await (redis as unknown as DedupeCommands).hookgateDedupeClaim(
    args.key,
    args.eventId,
    args.ttlMs,
    args.jobKeyPrefix,
    args.inFlightMs,
  );
  if (state === 'claimed') return { state };
  return { state: state as 'duplicate' | 'in-flight', eventId };
}

export async function releaseDedupeKey(redis: RedisConnection, key: string, eventId: string): Promise<void> {
  await (redis as unknown as DedupeCommands).hookgateDedupeRelease(key, eventId);
}

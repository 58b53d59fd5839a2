import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid's default PRNG makes one getRandomValues call (a syscall-backed fill) per
// character, 16 per id. The same CSPRNG bytes drawn 4 KiB at a time cost a fraction
// of that; each byte is used once, exactly as ulid would use its own (byte / 256).
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;
function pooledRandom(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++]! / 256;
}

const next = monotonicFactory(pooledRandom);

/** Crockford's base32, as ULID writes it. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Most partitions an id can name: two base32 characters. */
export const MAX_PARTITIONS = 1024;

/**
 * Event ids are ULIDs: sortable by receipt time, stable across retries and replays.
 *
 * With `redis.partitions` > 1 the id also names its partition (`partition` of
 * `count`), so whoever holds only the id finds its keys without asking every
 * partition: the time (10 characters) and the monotonic random part without its
 * first two characters (14; the increment within a millisecond is at the end, so ids
 * stay unique and sorted), then the partition index in two base32 characters. Still
 * a valid ULID, with 70 random bits instead of 80. With one partition, a plain ULID.
 */
export function newEventId(now = Date.now(), partition?: { index: number; count: number }): string {
  const id = next(now);
  if (!partition || partition.count <= 1) return id;
  const i = partition.index;
  return id.slice(0, 10) + id.slice(12) + CROCKFORD[i >> 5]! + CROCKFORD[i & 31]!;
}

/**
 * The partition index an id names (its last two characters), if it was made for a
 * layout of `count` partitions: `undefined` when the value is out of range (an id
 * made with another layout, or a plain ULID, whose last characters are random).
 */
export function partitionIndexOf(eventId: string, count: number): number | undefined {
  if (count <= 1) return 0;
  const hi = CROCKFORD.indexOf(eventId.charAt(eventId.length - 2).toUpperCase());
  const lo = CROCKFORD.indexOf(eventId.charAt(eventId.length - 1).toUpperCase());
  if (hi < 0 || lo < 0) return undefined;
  const v = (hi << 5) | lo;
  return v < count ? v : undefined;
}

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

/** Event ids are ULIDs: sortable by receipt time, stable across retries and replays. */
export function newEventId(now = Date.now()): string {
  return next(now);
}

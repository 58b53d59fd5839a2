import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis every integration test uses (CI starts one when none answers). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A BullMQ prefix no other test run shares. */
export function uniquePrefix(label = 'test'): string {
  return `hgtest-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix (SCAN + UNLINK; never FLUSHDB on the shared instance). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

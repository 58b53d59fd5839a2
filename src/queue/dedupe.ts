import { createHash } from 'node:crypto';

/**
 * The BullMQ deduplication id of an event: one per (source, provider event id).
 * BullMQ keeps it at `<prefix>:events:de:<id>` for `retention.events`, set in the same
 * script that stores the job, so a duplicate always points at a job that exists.
 * Provider ids are short; anything long is hashed so a hostile sender cannot make
 * hookgate store arbitrarily large keys.
 */
export function dedupeId(source: string, key: string): string {
  const k = key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
  return `${source}:${k}`;
}

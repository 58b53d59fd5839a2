import type { JobsOptions } from 'bullmq';
import type { Envelope } from '../record/envelope.js';

export interface EventJobData {
  record: Envelope;
}

export interface DeliveryJobData {
  eventId: string;
  source: string;
  destination: string;
  record: Envelope;
  /** Set on deliveries created by a replay. */
  replayOf?: string;
}

/**
 * Options of every `events` job (job name = source name, job id = event id).
 * Kept `retention.events` whatever its outcome, so `events show`/replay find it.
 * `dedupeId` (see dedupe.ts): BullMQ refuses a second job with that id for the
 * retention and answers with the first job's id. Routing only writes to Redis, so a
 * failure is transient: a few attempts ride out a blip instead of parking the event.
 */
export function eventJobOptions(eventId: string, retentionMs: number, dedupeId?: string): JobsOptions {
  const age = Math.ceil(retentionMs / 1000);
  return {
    jobId: eventId,
    ...(dedupeId !== undefined ? { deduplication: { id: dedupeId, ttl: retentionMs } } : {}),
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

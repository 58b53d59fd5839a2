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
 * failure is transient (Redis out of memory, a failover): 12 attempts, 1 s doubling,
 * ride out about half an hour of it before the event is parked as failed (an alert,
 * and `events replay`, in docs/operations.md).
 */
export function eventJobOptions(eventId: string, retentionMs: number, dedupeId?: string): JobsOptions {
  const age = Math.ceil(retentionMs / 1000);
  return {
    jobId: eventId,
    ...(dedupeId !== undefined ? { deduplication: { id: dedupeId, ttl: retentionMs } } : {}),
    attempts: 12,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

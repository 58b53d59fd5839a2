import type { JobsOptions } from 'bullmq';
import type { AttemptRecord } from './attempts.js';

/**
 * A delivery in its destination's queue (keys.ts `deliveryQueueName`). It carries no
 * copy of the record: the worker reads the event's one stored record when it
 * attempts it, so a delivery costs a few hundred bytes however large the webhook.
 */
export interface DeliveryJobData {
  eventId: string;
  source: string;
  destination: string;
  /** The prefix of the event's partition (keys.ts `Partition`); absent: layout 1's, the global prefix. */
  p?: string;
  /** Delivery key in the event's marks and status: the destination, or `<destination>~<replayId>`. */
  key: string;
  /** Attempts made before the job existed (the first attempt, made straight from routing). */
  prior?: AttemptRecord[];
  /** Attempts of earlier runs of this delivery (a replay counts on from them). */
  base?: number;
  /**
   * Failed breaker probes this run made: attempts sent (in the history, numbered) that
   * spend none of the retry policy's attempts, so a long outage dead-letters nothing.
   */
  probes?: number;
  /**
   * The first attempt failed for good: the job is made in the dead-letter store with this
   * error (enqueue.ts addDeadLetter; a job of an older version may still be queued with it).
   */
  dead?: string;
  /** Set on deliveries created by a replay: the delivery id replayed. */
  replayOf?: string;
}

/**
 * Attempts a delivery has sent so far, as its receiver counted them: earlier runs
 * (`base`), failed probes, the attempts before its job existed (`prior`) and the job's
 * own (BullMQ's `attemptsMade`; none for a job made as a dead letter, whose one attempt
 * is its `prior`). Its next attempt is this + 1.
 */
export function attemptsSent(data: DeliveryJobData, attemptsMade: number): number {
  return (
    (data.base ?? 0) +
    (data.probes ?? 0) +
    (data.prior?.length ?? 0) +
    (data.dead !== undefined ? 0 : attemptsMade)
  );
}

/** The name deliveries carry in `opts.backoff.type`; BullMQ hands it to the worker's strategy. */
export const BACKOFF_TYPE = 'hookgate';

/**
 * A delivery's job options. The retry count is fixed when the delivery is created;
 * the delays are computed by the worker's backoff strategy from the current config.
 * Failed jobs are the dead-letter store, kept `retention.deadLetters`. A delivered
 * job is removed at once: what the event's history needs is folded into its status.
 */
export function deliveryJobOptions(
  jobId: string,
  attempts: number,
  deadLetterRetentionMs: number,
  delayMs = 0,
): JobsOptions {
  return {
    jobId,
    attempts: Math.max(1, attempts),
    backoff: { type: BACKOFF_TYPE },
    ...(delayMs > 0 ? { delay: delayMs } : {}),
    removeOnComplete: true,
    removeOnFail: { age: Math.ceil(deadLetterRetentionMs / 1000) },
  };
}

/**
 * The previous layout (before the delivery engine v2): an `events` queue whose jobs
 * carried the record, and one `deliveries` queue whose jobs each carried a copy.
 * Read only by the upgrade (queue/legacy.ts), which moves what is left of it.
 */
export const LEGACY_EVENTS_QUEUE = 'events';
export const LEGACY_DELIVERIES_QUEUE = 'deliveries';
export interface LegacyEventJobData {
  record: import('../record/envelope.js').Envelope;
}
export interface LegacyDeliveryJobData {
  eventId: string;
  source: string;
  destination: string;
  record: import('../record/envelope.js').Envelope;
  replayOf?: string;
}

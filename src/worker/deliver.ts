import { UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import { PermanentError, RetryableError } from '../destinations/errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { DeliveryJobData } from '../queue/jobs.js';
import type { Envelope } from '../record/envelope.js';
import { formatAttempt, type AttemptOutcome, type AttemptRecord } from './attempts.js';
import { backoffDelay, retryPolicyFor, timeoutFor } from './policy.js';
import type { DestinationPool } from './pool.js';

export interface DeliverDeps {
  config: Config;
  pool: DestinationPool;
  metrics?: Metrics;
  logger?: Logger;
  random?: () => number;
}

/** What a completed delivery job holds: its successful attempt. */
export interface DeliveryResult {
  attempt: AttemptRecord;
}

/** The delay the processor chose (and logged) travels to the backoff strategy on the error. */
const RETRY_DELAY = Symbol('hookgate.retryDelay');
type WithDelay = Error & { [RETRY_DELAY]?: number };

export function chosenRetryDelay(err: unknown): number | undefined {
  return err && typeof err === 'object' ? (err as WithDelay)[RETRY_DELAY] : undefined;
}

/**
 * Attempt number as the receiver sees it (`approximateInvokeCount`). BullMQ counts a
 * start even when the worker died mid-attempt, which is exactly when a receiver may
 * already have seen the record once.
 */
export function attemptNumber(job: Pick<Job, 'attemptsMade' | 'attemptsStarted'>): number {
  return Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1);
}

/**
 * Errors retrying cannot fix: the destination said so, the record lacks what a
 * template needs, or the destination cannot be built from the config.
 */
const PERMANENT_NAMES = new Set(['PermanentError', 'TemplateError', 'ConfigError']);
function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err instanceof Error && PERMANENT_NAMES.has(err.name));
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * Runs one delivery attempt: sends the record with the attempt number set, bounded
 * by the destination's timeout, records the attempt on the job and steers BullMQ:
 * return = delivered, RetryableError (or any unclassified error) = retry with
 * backoff, UnrecoverableError = dead letter now.
 */
export function createDeliveryProcessor(deps: DeliverDeps) {
  const { config, pool, metrics, logger } = deps;
  return async function deliver(job: Job<DeliveryJobData>, _token?: string, signal?: AbortSignal) {
    const { destination: name, record: stored } = job.data;
    const attempt = attemptNumber(job);
    const record: Envelope = {
      ...stored,
      requestContext: { ...stored.requestContext, approximateInvokeCount: attempt },
    };
    const started = Date.now();
    const attemptRecord = (outcome: AttemptOutcome, extra: Partial<AttemptRecord>): AttemptRecord => {
      const durationMs = Date.now() - started;
      metrics?.deliveries.inc({ destination: name, outcome });
      metrics?.deliveryDuration.observe({ destination: name }, durationMs / 1000);
      return { attempt, startedAt: new Date(started).toISOString(), durationMs, outcome, ...extra };
    };
    const logFailure = async (entry: AttemptRecord) => {
      // The attempt's history is for operators; failing to write it must not change
      // what happens to the delivery.
      await job.log(formatAttempt(entry)).catch((err: unknown) => {
        logger?.warn({ err, jobId: job.id }, 'could not record delivery attempt');
      });
    };

    try {
      const destination = pool.get(name);
      const sent = await withTimeout((s) => destination.send(record, s), timeoutFor(config, name), signal);
      // The successful attempt travels as the job's return value, written by BullMQ in
      // the same step that completes the job: no extra round trip on the common path.
      const result: DeliveryResult = {
        attempt: attemptRecord('success', sent.info ? { info: sent.info } : {}),
      };
      return result;
    } catch (err) {
      const error = messageOf(err);
      const permanent = isPermanent(err) || !config.destinations[name];
      const attempts = job.opts.attempts ?? 1;
      const willRetry = !permanent && job.attemptsMade + 1 < attempts;
      if (!willRetry) {
        await logFailure(attemptRecord('dead_letter', { error }));
        logger?.warn({ jobId: job.id, destination: name, attempt, error }, 'delivery dead-lettered');
        throw permanent ? new UnrecoverableError(error) : asError(err);
      }
      const delay = backoffDelay(retryPolicyFor(config, name), job.attemptsMade + 1, err, deps.random);
      await logFailure(attemptRecord('retry', { error, retryInMs: delay }));
      logger?.info(
        { jobId: job.id, destination: name, attempt, error, retryInMs: delay },
        'delivery will retry',
      );
      const out = asError(err) as WithDelay;
      out[RETRY_DELAY] = delay;
      throw out;
    }
  };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Bounds a send by `timeoutMs` (and BullMQ's own cancellation signal). The send is
 * told to stop through the signal; a destination that ignores it is abandoned all
 * the same, so the worker's slot is never held past the timeout.
 */
async function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timer]) : timer;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        timer.aborted
          ? new RetryableError(`timed out after ${timeoutMs}ms`)
          : new RetryableError('delivery cancelled', { cause: signal.reason }),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run(signal), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

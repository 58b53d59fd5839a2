import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { formatAttempt, parseAttempts, type AttemptRecord } from '../queue/attempts.js';
import { breakerPolicyFor, concurrencyFor, type DestinationControls } from '../queue/controls.js';
import type { Store } from '../queue/delivery-queues.js';
import { writeDeliveryStatus } from '../queue/event-status.js';
import { deliveryId } from '../queue/ids.js';
import { attemptsSent, type DeliveryJobData } from '../queue/jobs.js';
import { deliveryQueueName } from '../queue/keys.js';
import { decodeForDelivery } from '../queue/stored-event.js';
import type { RedisConnection } from '../queue/connection.js';
import { attemptOnce, messageOf } from './attempt.js';
import type { ControlView } from './control-view.js';
import type { Lane } from './lane.js';
import { backoffDelay, retryPolicyFor, timeoutFor } from '../queue/policy.js';
import type { DestinationPool } from './pool.js';
import type { Reporter } from './reporter.js';

export interface DestinationWorkerDeps {
  config: Config;
  store: Store;
  connection: RedisConnection;
  pool: DestinationPool;
  controls: DestinationControls;
  view: ControlView;
  reporter: Reporter;
  logger?: Logger;
  random?: () => number;
}

/** The delay the processor chose (and logged) travels to the backoff strategy on the error. */
const RETRY_DELAY = Symbol('hookgate.retryDelay');
type WithDelay = Error & { [RETRY_DELAY]?: number };

/** How long a worker waits before looking again at a suspended destination whose probe another worker holds. */
const PROBE_WAIT_MS = 1000;

/** The retention a dead letter keeps its record (and the event's status) for. */
export function deadLetterKeepMs(config: Config): number {
  return Math.max(config.retention.events, config.retention.deadLetters);
}

/**
 * The BullMQ worker of one destination's queue: its retries, the deliveries that
 * waited (paused, suspended, rate-limited, or more than routing could take at
 * once), replays. Its own concurrency (sharing the lane's slots with routing), its
 * own rate limit (BullMQ's limiter is global across workers), BullMQ's pause.
 *
 * A suspended destination (open breaker) hands its job back without spending an
 * attempt (BullMQ's manual rate limit), and after the cooldown lets exactly one
 * probe through; see queue/controls.ts.
 */
export function createDestinationWorker(
  destination: string,
  lane: Lane,
  deps: DestinationWorkerDeps,
): Worker<DeliveryJobData> {
  const { config, store, pool, controls, view, reporter, logger } = deps;
  const timeout = timeoutFor(config, destination);
  const policy = retryPolicyFor(config, destination);
  const breaker = breakerPolicyFor(config, destination);
  const keepMs = deadLetterKeepMs(config);
  const rate = config.destinations[destination]?.rateLimit;

  const processor = async (job: Job<DeliveryJobData>, _token?: string, signal?: AbortSignal) => {
    const data = job.data;
    const id = job.id ?? deliveryId(data.eventId, data.key);
    const keys = store.partitionAt(data.p).keys;
    const prior = data.prior ?? [];
    if (data.dead !== undefined) {
      // The first attempt failed for good; the job exists to be the dead letter.
      await writeDeliveryStatus(store, keys, data.eventId, data.key, { state: 'failed' }, keepMs);
      throw new UnrecoverableError(data.dead);
    }
    // Of the retry policy's attempts (failed probes and earlier runs spend none of them).
    const made = prior.length + job.attemptsMade;
    const attempt = attemptsSent(data, job.attemptsMade) + 1;
    let probe = false;
    if (breaker) {
      const b = view.breaker(destination);
      const now = Date.now();
      // Waiting out a suspension spends no attempts, so a delivery of a destination that
      // stays down waits until its record expires (kept as long as a dead letter would
      // be: the longer of retention.events and retention.deadLetters). Then it fails as
      // expired at once, not one per probe: each probe found one expired record, and a
      // backlog drained at one per probe interval for hours.
      if (b.until > 0 && now - job.timestamp >= keepMs) {
        const gone = !(await store.redis.exists(keys.record(data.eventId)));
        if (gone) return expire(job, attempt);
      }
      if (b.until > now) return handBack(worker, b.until - now);
      if (b.until > 0) {
        probe = await controls.claimProbe(destination, timeout + PROBE_WAIT_MS);
        if (!probe) return handBack(worker, PROBE_WAIT_MS);
        logger?.info({ destination, deliveryId: id }, 'breaker half-open: sending a probe');
      }
    }
    const ran = await lane.run(async () => {
      const value = await store.redis.getBuffer(keys.record(data.eventId));
      if (!value) return expire(job, attempt);
      const { record } = decodeForDelivery(value);
      return attemptOnce(() => pool.get(destination), record, attempt, timeout, {
        signal,
        replay: data.replayOf !== undefined || (data.base ?? 0) > 0,
      });
    });
    const result = ran!.value;
    const context = { eventId: data.eventId, deliveryId: id, probe };
    if (result.ok) {
      reporter.attempt(destination, result, 'success', context);
      const { logs } = await store.queue(destination).getJobLogs(id, 0, -1, true);
      const attempts = [...prior, ...parseAttempts(logs), result.attempt];
      await writeDeliveryStatus(
        store,
        keys,
        data.eventId,
        data.key,
        { state: 'delivered', attempts },
        keepMs,
      );
      return { attempt: result.attempt };
    }
    if (probe && !result.permanent) {
      // A failed probe spends none of the delivery's attempts (the breaker's promise:
      // an outage longer than the retry schedule dead-letters nothing): it is in the
      // history, and the delivery waits for the next probe. Counted, a few deliveries
      // waiting out a long outage were dead-lettered by their own probes.
      const entry: AttemptRecord = { ...result.attempt, outcome: 'retry' };
      reporter.attempt(destination, { ...result, attempt: entry }, 'retry', context);
      await job.log(formatAttempt(entry)).catch(() => {});
      await job.updateData({ ...data, probes: (data.probes ?? 0) + 1 });
      return handBack(worker, PROBE_WAIT_MS);
    }
    const willRetry =
      !result.permanent && made + 1 < policy.attempts && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    if (!willRetry) {
      const entry: AttemptRecord = { ...result.attempt, outcome: 'dead_letter' };
      reporter.attempt(destination, { ...result, attempt: entry }, 'dead_letter', context);
      await job.log(formatAttempt(entry)).catch(() => {});
      await writeDeliveryStatus(store, keys, data.eventId, data.key, { state: 'failed' }, keepMs);
      throw result.permanent ? new UnrecoverableError(entry.error) : asError(result.error);
    }
    const delay = backoffDelay(policy, made + 1, result.error, deps.random);
    const entry: AttemptRecord = { ...result.attempt, retryInMs: delay };
    reporter.attempt(destination, { ...result, attempt: entry }, 'retry', context);
    await job.log(formatAttempt(entry)).catch((err: unknown) => {
      logger?.warn({ err: String(err), deliveryId: id }, 'could not record delivery attempt');
    });
    const out = asError(result.error) as WithDelay;
    out[RETRY_DELAY] = delay;
    throw out;
  };

  const worker: Worker<DeliveryJobData> = new Worker<DeliveryJobData>(
    deliveryQueueName(destination),
    processor,
    {
      connection: deps.connection,
      prefix: store.prefix,
      concurrency: concurrencyFor(config, destination),
      lockDuration: config.worker.lockDuration,
      stalledInterval: config.worker.stalledInterval,
      maxStalledCount: config.worker.maxStalledCount,
      ...(rate ? { limiter: { max: rate.max, duration: rate.window } } : {}),
      settings: {
        // The processor already chose (and logged) the delay; recompute only for an
        // error that did not come through it.
        backoffStrategy: (attemptsMade, _type, err) => {
          const chosen = err && typeof err === 'object' ? (err as WithDelay)[RETRY_DELAY] : undefined;
          return chosen ?? backoffDelay(policy, attemptsMade, err, deps.random);
        },
      },
    },
  );
  return worker;
}

const EXPIRED = 'the stored event expired before it was delivered (retention.events)';

/** The record is gone: a dead letter without an attempt sent. */
async function expire(job: Job<DeliveryJobData>, attempt: number): Promise<never> {
  await job.log(formatAttempt(expiredAttempt(attempt, EXPIRED))).catch(() => {});
  throw new UnrecoverableError(EXPIRED);
}

/** Back to waiting, no attempt spent; this worker fetches from the queue again in `ms`. */
async function handBack(worker: Worker, ms: number): Promise<never> {
  await worker.rateLimit(Math.max(1, ms));
  throw Worker.RateLimitError();
}

function expiredAttempt(attempt: number, error: string): AttemptRecord {
  return { attempt, startedAt: new Date().toISOString(), durationMs: 0, outcome: 'dead_letter', error };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(messageOf(err));
}

import { ConfigError } from '../errors.js';
import { Deadline } from '../destinations/deadline.js';
import { PermanentError, RetryableError } from '../destinations/errors.js';
import type { Destination } from '../destinations/types.js';
import type { AttemptRecord } from '../queue/attempts.js';
import type { Envelope } from '../record/envelope.js';
import { TemplateError } from '../record/template.js';

/** How one attempt ended, for whoever decides what happens next (lane or destination worker). */
export type AttemptResult =
  | { ok: true; attempt: AttemptRecord }
  | { ok: false; attempt: AttemptRecord; error: unknown; permanent: boolean };

/**
 * Errors retrying cannot fix: the destination said so, the record lacks what a
 * template needs, or the destination cannot be built from the config.
 */
export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || err instanceof TemplateError || err instanceof ConfigError;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * Sends the record once, with `approximateInvokeCount` set to `attempt`, bounded by
 * `timeoutMs` (and an outer cancellation). Never throws: the outcome and the attempt
 * as it will be recorded come back together.
 */
export async function attemptOnce(
  destination: () => Destination,
  stored: Envelope,
  attempt: number,
  timeoutMs: number,
  options: { signal?: AbortSignal; replay?: boolean } = {},
): Promise<AttemptResult> {
  // The stored record itself when it already says this attempt (a first attempt):
  // formatted once for all its destinations (record/format.ts).
  const record: Envelope =
    stored.requestContext.approximateInvokeCount === attempt
      ? stored
      : { ...stored, requestContext: { ...stored.requestContext, approximateInvokeCount: attempt } };
  const started = Date.now();
  const entry = (extra: Partial<AttemptRecord>): AttemptRecord => ({
    attempt,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    outcome: 'success',
    ...(options.replay ? { replay: true as const } : {}),
    ...extra,
  });
  try {
    const d = destination();
    const sent = await withTimeout((s) => d.send(record, s), timeoutMs, options.signal);
    return { ok: true, attempt: entry(sent.info ? { info: sent.info } : {}) };
  } catch (err) {
    const info = err instanceof RetryableError || err instanceof PermanentError ? infoOf(err) : undefined;
    return {
      ok: false,
      error: err,
      permanent: isPermanent(err),
      attempt: entry({ outcome: 'retry', error: messageOf(err), ...(info ? { info } : {}) }),
    };
  }
}

/** The HTTP status a destination error carries, for the attempt history. */
function infoOf(err: Error): Record<string, unknown> | undefined {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? { status } : undefined;
}

/** Never aborts: for attempts with no outer cancellation. */
const NEVER = new AbortController().signal;

/**
 * Bounds a send by `timeoutMs`. Each destination enforces the timeout itself
 * (destinations/deadline.ts) and stops on the outer signal; this is the backstop for
 * one that does not, so a slot is never held past the timeout. A Deadline's watch is
 * one timer and no listener of its own on the shared shutdown signal (an
 * `addEventListener`/`removeEventListener` pair per attempt cost ~1% of the worker's
 * CPU; a linked `AbortSignal.timeout` + `AbortSignal.any` some 20 µs).
 */
async function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  const signal = outer ?? NEVER;
  const deadline = new Deadline(signal, timeoutMs);
  let unwatch = () => {};
  const stopped = new Promise<never>((_, reject) => {
    unwatch = deadline.watch(() =>
      reject(
        signal.aborted
          ? new RetryableError('delivery cancelled', { cause: signal.reason })
          : new RetryableError(`timed out after ${timeoutMs}ms`),
      ),
    );
  });
  try {
    return await Promise.race([run(signal), stopped]);
  } finally {
    unwatch();
  }
}

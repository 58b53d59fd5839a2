import { ConfigError } from '../errors.js';
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
 * (destinations/deadline.ts) and stops on the outer signal; this plain timer is the
 * backstop for one that does not, so a slot is never held past the timeout. (A linked
 * `AbortSignal.timeout` + `AbortSignal.any` per attempt cost some 20 µs of CPU.)
 */
async function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  const signal = outer ?? NEVER;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RetryableError(`timed out after ${timeoutMs}ms`)), timeoutMs);
    onAbort = () => reject(new RetryableError('delivery cancelled', { cause: signal.reason }));
    if (signal.aborted) onAbort();
    else if (outer) signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run(signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (outer) signal.removeEventListener('abort', onAbort!);
  }
}

import type { Config, RetryPolicy } from '../config/schema.js';
import { RetryableError } from '../destinations/errors.js';

/** A destination's retry policy: its own `retry` keys over `defaults.retry`. */
export function retryPolicyFor(config: Config, destination: string): RetryPolicy {
  const own = config.destinations[destination]?.retry ?? {};
  const merged = { ...config.defaults.retry };
  for (const [key, value] of Object.entries(own)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The per-attempt timeout: the destination's `timeout`, else `defaults.timeout`. */
export function timeoutFor(config: Config, destination: string): number {
  return config.destinations[destination]?.timeout ?? config.defaults.timeout;
}

/**
 * Delay before the next attempt after `attemptsMade` failures (1 = the first failed).
 * A destination that names its own wait (429/503 `retry-after`) is believed, but
 * never beyond `maxDelay`, so one bad header cannot park a delivery for days.
 * Jitter takes up to `jitter` of the delay off, so retries of a burst spread out
 * without ever exceeding the nominal schedule.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attemptsMade: number,
  err?: unknown,
  random: () => number = Math.random,
): number {
  if (err instanceof RetryableError && err.retryAfterMs !== undefined) {
    return Math.min(Math.max(0, err.retryAfterMs), policy.maxDelay);
  }
  const nominal =
    policy.backoff === 'fixed' ? policy.delay : policy.delay * 2 ** Math.max(0, attemptsMade - 1);
  const capped = Math.min(nominal, policy.maxDelay);
  return Math.round(capped * (1 - policy.jitter * random()));
}

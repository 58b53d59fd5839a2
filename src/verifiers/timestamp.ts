import type { FailureReason } from './types.js';

/** A unix timestamp in whole seconds as sent in a header; undefined unless it is only digits. */
export function parseUnixSeconds(value: string | undefined): number | undefined {
  const v = value?.trim();
  return v && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

export interface ToleranceCheck {
  /** When the request was signed, in seconds (may be fractional). */
  signedAt: number;
  /** Now, in milliseconds. */
  now: number;
  /** Allowed age in milliseconds; 0 disables the check (as stripe-node does). */
  tolerance: number;
  /** Also refuse timestamps more than `tolerance` ahead; only where the provider's SDK does. */
  future: boolean;
}

/**
 * Seconds are compared against floor(now) as the providers' SDKs do, so a boundary
 * vector (age exactly equal to the tolerance) passes here as it does there.
 */
export function checkTolerance({
  signedAt,
  now,
  tolerance,
  future,
}: ToleranceCheck): FailureReason | undefined {
  if (tolerance <= 0) return undefined;
  const nowSeconds = Math.floor(now / 1000);
  const limit = tolerance / 1000;
  if (nowSeconds - signedAt > limit) return 'expired';
  if (future && signedAt - nowSeconds > limit) return 'future';
  return undefined;
}

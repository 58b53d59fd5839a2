/**
 * A verifier decides whether a request really comes from its provider. It is
 * synchronous and pure: everything it needs is in VerifyInput (the clock included,
 * so tests can pin it to a vector's `now`).
 */
export interface VerifyInput {
  rawBody: Buffer;
  /** Lower-case header names; repeated headers joined with `,`. */
  headers: Record<string, string>;
  method: string;
  /** The full public URL the provider called (scheme, host, path, query). */
  url: string;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

/** Why a request failed; goes to logs and the `verification_failures_total{reason}` metric, never to the caller. */
export type FailureReason = 'missing' | 'malformed' | 'mismatch' | 'expired' | 'future';

export type VerifyResult = { ok: true } | { ok: false; reason: FailureReason };

export interface DedupeInput {
  headers: Record<string, string>;
  /** The parsed JSON or form body (undefined when it is neither). */
  body: unknown;
}

export interface Verifier {
  readonly type: string;
  verify(input: VerifyInput): VerifyResult;
  /** The provider's own event id, when the scheme has one: what `dedupe: true` keys on. */
  dedupeKey?(input: DedupeInput): string | undefined;
  /** The provider's event type (`invoice.paid`, `pull_request.opened`), when the scheme names one. */
  eventType?(input: DedupeInput): string | undefined;
  /**
   * `www-authenticate` for the 401, for schemes that have one (HTTP Basic): some
   * senders (Twilio, for one) send credentials only after being challenged.
   */
  readonly challenge?: string;
}

export const ok: VerifyResult = { ok: true };
export const fail = (reason: FailureReason): VerifyResult => ({ ok: false, reason });

/** Transient: the worker retries with backoff (or after `retryAfterMs` when the destination said so). */
export class RetryableError extends Error {
  readonly retryAfterMs?: number;
  /** The HTTP status the destination answered, kept in the attempt history. */
  readonly status?: number;
  constructor(message: string, options: { retryAfterMs?: number; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Permanent: the delivery goes straight to the dead-letter store. */
export class PermanentError extends Error {
  /** The HTTP status the destination answered, kept in the attempt history. */
  readonly status?: number;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentError';
    this.status = options.status;
  }
}

/** Transient: the worker retries with backoff (or after `retryAfterMs` when the destination said so). */
export class RetryableError extends Error {
  readonly retryAfterMs?: number;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Permanent: the delivery goes straight to the dead-letter store. */
export class PermanentError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentError';
  }
}

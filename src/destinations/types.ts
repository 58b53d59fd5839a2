import type { Envelope } from '../record/envelope.js';

/**
 * A destination delivers one record. `send` resolves when the destination has
 * accepted it; it throws RetryableError or PermanentError (destinations/errors.ts) to
 * steer the worker. It must stop when `signal` aborts (the delivery timeout).
 */
export interface Destination {
  readonly name: string;
  readonly type: string;
  send(record: Envelope, signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

export interface SendResult {
  /** What the destination said (message id, status), kept with the delivery for operators. */
  info?: Record<string, unknown>;
}

import type { AttemptRecord } from '../queue/attempts.js';
import type { Envelope } from '../record/envelope.js';

/**
 * What an event and its deliveries look like in the event log. The read side
 * (events/history.ts) shows the same shapes whether they come from Redis or from
 * PostgreSQL, so the statuses live here, in the lowest layer that needs them.
 */
export type EventStatus = 'pending' | 'delivered' | 'failed' | 'unrouted';
export const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'delivered', 'failed', 'unrouted'];
export type DeliveryOutcome = 'pending' | 'delivered' | 'failed';

export interface LoggedDelivery {
  /** Delivery key: the destination, or `<destination>~<replayId>`. */
  key: string;
  destination: string;
  state: DeliveryOutcome;
  attempts: AttemptRecord[];
  error?: string;
  replayOf?: string;
}

export interface LoggedSummary {
  id: string;
  /** Epoch ms. */
  receivedAt: number;
  source: string;
  type?: string;
  dedupeKey?: string;
  status: EventStatus;
}

export interface LoggedEvent extends LoggedSummary {
  envelope: Envelope;
  deliveries: LoggedDelivery[];
}

export interface LogFilter {
  source?: string;
  type?: string;
  status?: EventStatus;
  /** Epoch ms, inclusive / exclusive. */
  since?: number;
  until?: number;
  /** The event id, the dedupe key, or text in the body (case-insensitive). */
  q?: string;
}

/** What a proxy-mode record says of its request and the upstream's answer (the console's "Request → answer"). */
export interface LoggedAnswer {
  method: string;
  path: string;
  status: number;
  condition: string;
  functionError?: string;
}

/** A position in the newest-first order: events strictly older than it come next. */
export interface LogPosition {
  receivedAt: number;
  id: string;
}

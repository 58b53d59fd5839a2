import type { Envelope } from '../record/envelope.js';

export interface EventJobData {
  record: Envelope;
}

export interface DeliveryJobData {
  eventId: string;
  source: string;
  destination: string;
  record: Envelope;
  /** Set on deliveries created by a replay. */
  replayOf?: string;
}

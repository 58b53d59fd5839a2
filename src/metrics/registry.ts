import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric hookgate exports (prefix `hookgate_`; the README lists them). One Metrics object per process (or per
 * test app), never prom-client's global registry, so apps built in one test process
 * do not share counters.
 */
export interface Metrics {
  registry: Registry;
  ingressRequests: Counter<'source' | 'status'>;
  ingressDuration: Histogram<'source'>;
  verificationFailures: Counter<'source' | 'reason'>;
  /** outcome: `success`, `retry` (attempt failed, will retry) or `dead_letter`. */
  deliveries: Counter<'destination' | 'outcome'>;
  deliveryDuration: Histogram<'destination'>;
  deadLetters: Gauge<'destination'>;
  queueJobs: Gauge<'queue' | 'state'>;
  /** 1 for each destination's current state (`active`, `paused`, `suspended`), 0 for the others. */
  destinationState: Gauge<'destination' | 'state'>;
  deliveriesWaiting: Gauge<'destination'>;
  /** With an event log: age of the oldest state change not yet written to PostgreSQL (0: caught up). */
  eventLogLag: Gauge;
  /** Events acknowledged with `ack: immediate` or proxied with `record: after-response` whose write failed or overflowed. */
  recordsLost: Counter<'source' | 'reason'>;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Event-loop delay sampled every 100 ms, not prom-client's 10 ms: its timer woke an
  // idle process 100 times a second (~10 ms of CPU per second in each of serve and
  // worker, a sixtieth of a core per process doing nothing).
  if (options.defaults ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'hookgate_', eventLoopMonitoringPrecision: 100 });
  const registers = [registry];
  return {
    registry,
    ingressRequests: new Counter({
      name: 'hookgate_ingress_requests_total',
      help: 'Requests received on the webhook port, by source and HTTP status',
      labelNames: ['source', 'status'],
      registers,
    }),
    ingressDuration: new Histogram({
      name: 'hookgate_ingress_duration_seconds',
      help: 'Time from request received to response sent',
      labelNames: ['source'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    verificationFailures: new Counter({
      name: 'hookgate_verification_failures_total',
      help: 'Requests refused by signature verification, by reason',
      labelNames: ['source', 'reason'],
      registers,
    }),
    deliveries: new Counter({
      name: 'hookgate_deliveries_total',
      help: 'Delivery attempts by destination and outcome (success, retry, dead_letter)',
      labelNames: ['destination', 'outcome'],
      registers,
    }),
    deliveryDuration: new Histogram({
      name: 'hookgate_delivery_duration_seconds',
      help: 'Duration of one delivery attempt',
      labelNames: ['destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    deadLetters: new Gauge({
      name: 'hookgate_dead_letters',
      help: 'Deliveries waiting in the dead-letter store, by destination',
      labelNames: ['destination'],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'hookgate_queue_jobs',
      help: 'Jobs per queue and state (sampled)',
      labelNames: ['queue', 'state'],
      registers,
    }),
    destinationState: new Gauge({
      name: 'hookgate_destination_state',
      help: 'Destination state: 1 for the current one (active, paused, suspended)',
      labelNames: ['destination', 'state'],
      registers,
    }),
    deliveriesWaiting: new Gauge({
      name: 'hookgate_deliveries_waiting',
      help: 'Deliveries in a destination queue waiting for an attempt (waiting, delayed, paused)',
      labelNames: ['destination'],
      registers,
    }),
    eventLogLag: new Gauge({
      name: 'hookgate_event_log_lag_seconds',
      help: 'With an event log: how long the oldest event state not yet in PostgreSQL has waited (0: caught up)',
      registers: [],
    }),
    recordsLost: new Counter({
      name: 'hookgate_records_lost_total',
      help: 'Records acknowledged before they were stored and then not stored (ack: immediate, proxy after-response overflow)',
      labelNames: ['source', 'reason'],
      registers,
    }),
  };
}

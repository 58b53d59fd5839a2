/**
 * Queue layout (BullMQ, under `redis.prefix`):
 * - `events`: one job per accepted event, job name = source name, job id = event id,
 *   data = EventJobData, options = eventJobOptions(). The router (in every worker)
 *   turns it into deliveries; kept `retention.events`.
 * - `deliveries`: one job per (event, destination), job id `<eventId>:<destination>`
 *   (replays: `<eventId>:<destination>:<replayId>`), data = DeliveryJobData. A job
 *   that fails for good stays in the failed set: that set is the dead-letter store.
 * Besides the queues, the ingress keeps `<prefix>:dedupe:<source>:<key>` (see
 * dedupe.ts) and `<prefix>:rate-limit:*` counters.
 */
export const EVENTS_QUEUE = 'events';
export const DELIVERIES_QUEUE = 'deliveries';

export function deliveryJobId(eventId: string, destination: string, replayId?: string): string {
  return replayId ? `${eventId}:${destination}:${replayId}` : `${eventId}:${destination}`;
}

/** Prefix of the hash BullMQ keeps per job of `queue` (`<prefix>:<queue>:<jobId>`). */
export function jobKeyPrefix(prefix: string, queue: string): string {
  return `${prefix}:${queue}:`;
}

/**
 * Queue layout (BullMQ, under `redis.prefix`):
 * - `events`: one job per accepted event, job name = source name, job id = event id,
 *   data = EventJobData, options = eventJobOptions(). The router (in every worker)
 *   turns it into deliveries; kept `retention.events`.
 * - `deliveries`: one job per (event, destination), job id `<eventId>~<destination>`
 *   (replays: `<eventId>~<destination>~<replayId>`, see worker/ids.ts), data =
 *   DeliveryJobData. A job that fails for good stays in the failed set: that set is
 *   the dead-letter store.
 * Duplicates: BullMQ deduplication keys `<prefix>:events:de:<source>:<key>` (see
 * dedupe.ts). Rate limits: `<prefix>:rate-limit:*` counters.
 */
export const EVENTS_QUEUE = 'events';
export const DELIVERIES_QUEUE = 'deliveries';

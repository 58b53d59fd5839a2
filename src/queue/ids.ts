/**
 * Delivery job ids: `<eventId>~<destination>` and, for replays,
 * `<eventId>~<destination>~<replayId>`. Deterministic, so a retried routing adds
 * nothing twice. Not `:`: BullMQ 6 refuses custom ids containing `:` (they clash
 * with its key layout). `~` is URL-safe and
 * never part of an event id (ULID/UUID) or a destination name, so the id alone
 * tells the destination without loading the job.
 */
const SEP = '~';

export function deliveryId(eventId: string, destination: string, replayId?: string): string {
  return replayId ? `${eventId}${SEP}${destination}${SEP}${replayId}` : `${eventId}${SEP}${destination}`;
}

/**
 * The delivery key a delivery id carries after its event id: the destination, or
 * `<destination>~<replayId>` (the field of the event's status hash and marks).
 */
export function deliveryKeyOf(id: string): string {
  return id.slice(id.indexOf(SEP) + 1);
}

export function parseDeliveryId(
  id: string,
): { eventId: string; destination: string; replayId?: string } | undefined {
  const parts = id.split(SEP);
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) return undefined;
  return parts.length === 3
    ? { eventId: parts[0], destination: parts[1], replayId: parts[2]! }
    : { eventId: parts[0], destination: parts[1] };
}

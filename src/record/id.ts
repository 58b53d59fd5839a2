import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** Event ids are ULIDs: sortable by receipt time, stable across retries and replays. */
export function newEventId(now = Date.now()): string {
  return next(now);
}

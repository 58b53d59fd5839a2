import { parseDuration } from '../config/units.js';
import { adminErrors } from './errors.js';

export const MAX_LIMIT = 1000;

/** `limit`: a whole number 1..1000 (absent: the store's default). */
export function parseLimit(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw adminErrors.badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return n;
}

/**
 * `since`: an ISO 8601 time (`2026-11-27T10:00:00Z`), epoch milliseconds, or a
 * duration meaning "that long ago" (`30m`, `2d`), as `hookgate dlq list --since`.
 */
export function parseSince(value: unknown, now = Date.now(), name = 'since'): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (/^\d{11,}$/.test(value)) return Number(value);
    if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/i.test(value)) return now - parseDuration(value)!;
    if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
      const t = Date.parse(value);
      if (Number.isFinite(t)) return t;
    }
  }
  throw adminErrors.badRequest(`${name} must be an ISO 8601 time, epoch milliseconds or a duration like 2h.`);
}

/** An optional non-empty string parameter (`source`, `destination`, `cursor`). */
export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw adminErrors.badRequest(`${name} must be a string.`);
  return value;
}

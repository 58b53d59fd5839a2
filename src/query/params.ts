import { parseDuration } from '../options/units.js';
import { InvalidParameterError } from '../errors.js';

/**
 * List parameters as the admin API and the CLI read them, one definition for both:
 * `limit`, and the time bounds `since` / `until`. A value that cannot be read exactly
 * is refused (InvalidParameterError), never guessed at.
 */

/**
 * The smallest bare number read as epoch milliseconds (1973-03-03T09:46:40Z). A smaller
 * one is refused, not read: `5000` may be meant as 5 s ago, and an epoch in seconds
 * (10 digits) would land in 1970.
 */
export const MIN_EPOCH_MS = 1e11;

// A date, or a date and time with Z or an offset: without one, a time would be read in
// the server's time zone, which a caller of the admin API cannot know.
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;
const AGO = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/i;

const TIME_FORMS =
  'an ISO 8601 time (2026-11-27, 2026-11-27T10:00:00Z), epoch milliseconds (12 digits or more) ' +
  'or a duration ago (90s, 30m, 2d)';

function isoTime(text: string): number | undefined {
  const m = ISO_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0] = m.slice(1).map((v) => (v ? Number(v) : undefined));
  // Date.parse would roll 2026-02-30 over into March: the date must exist.
  const day = new Date(Date.UTC(y!, mo! - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return undefined;
  const t = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(t) ? t : undefined;
}

/**
 * `since` / `until` as epoch milliseconds: an ISO 8601 date (midnight UTC) or date and
 * time with `Z` or an offset; a whole number of at least MIN_EPOCH_MS (epoch ms); or a
 * number with a unit, `ms` `s` `m` `h` `d`, meaning that long before `now`. Absent or
 * empty: undefined.
 */
export function parseTime(name: 'since' | 'until', value: unknown, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    if (ms >= MIN_EPOCH_MS && Number.isSafeInteger(ms)) return ms;
    throw new InvalidParameterError(
      name,
      `${text} is too small for epoch milliseconds (12 digits or more); for that long ago, give a unit: ${text}ms`,
    );
  }
  if (AGO.test(text)) return now - parseDuration(text)!;
  const at = isoTime(text);
  if (at !== undefined) return at;
  throw new InvalidParameterError(name, `${JSON.stringify(value)} is not ${TIME_FORMS}`);
}

export const parseSince = (value: unknown, now?: number) => parseTime('since', value, now);
export const parseUntil = (value: unknown, now?: number) => parseTime('until', value, now);

/** `limit`: a whole number from 1 to `max` (each list has its own). Absent or empty: undefined. */
export function parseLimit(value: unknown, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max))
    throw new InvalidParameterError('limit', `must be a whole number from 1 to ${max}`);
  return n;
}

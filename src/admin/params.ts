import { parseLimit as parseLimitParam } from '../query/params.js';
import { adminErrors } from './errors.js';

export { parseSince, parseUntil } from '../query/params.js';

export const MAX_LIMIT = 1000;

/**
 * `limit`, `since`, `until`: src/query/params.ts, as the CLI reads them. What they
 * refuse (InvalidParameterError) the admin error handler answers as BAD_REQUEST.
 */
export function parseLimit(value: unknown, max = MAX_LIMIT): number | undefined {
  return parseLimitParam(value, max);
}

/** An optional non-empty string parameter (`source`, `destination`, `cursor`). */
export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw adminErrors.badRequest(`${name} must be a string.`);
  return value;
}

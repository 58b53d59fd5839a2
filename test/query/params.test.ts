import t from 'tap';
import {
  parseLimit as adminLimit,
  parseSince as adminSince,
  parseUntil as adminUntil,
} from '../../src/admin/params.js';
import { parseSince as cliSince } from '../../src/cli/dlq.js';
import { parseLimit as cliLimit } from '../../src/cli/paging.js';
import { UsageError } from '../../src/cli/usage.js';
import { InvalidParameterError } from '../../src/errors.js';
import { MIN_EPOCH_MS, parseLimit, parseTime } from '../../src/query/params.js';

const now = Date.parse('2026-11-27T10:00:00Z');
const REFUSED = 'refused';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** What `since` / `until` mean, one row per form, both bounds read alike. */
const times: [unknown, number | undefined | typeof REFUSED][] = [
  [undefined, undefined],
  ['', undefined],
  ['2026-11-27T09:00:00Z', now - 3_600_000],
  ['2026-11-27T09:00:00.250Z', now - 3_599_750],
  ['2026-11-27T11:00+02:00', now - 3_600_000],
  ['2026-11-27 09:00:00Z', now - 3_600_000],
  ['2026-11-27', Date.parse('2026-11-27T00:00:00Z')],
  [' 30m ', now - 1_800_000],
  ['2d', now - 172_800_000],
  ['1.5h', now - 5_400_000],
  ['5000ms', now - 5000],
  [String(now - 5000), now - 5000],
  [now - 5000, now - 5000],
  [String(MIN_EPOCH_MS), MIN_EPOCH_MS],
  // A short bare number is neither read as milliseconds ago nor as a 1970 time.
  ['5000', REFUSED],
  [5000, REFUSED],
  ['1795000000', REFUSED], // epoch seconds
  // Formats Date.parse takes, but reads in the local time zone or by guesswork.
  ['Nov 27 2026', REFUSED],
  ['2026-11-27T09:00:00', REFUSED],
  ['11/27/2026', REFUSED],
  ['2026-02-30', REFUSED],
  ['2026-11-27T24:00:00Z', REFUSED],
  ['yesterday', REFUSED],
  ['-5m', REFUSED],
  ['1e12', REFUSED],
  [{}, REFUSED],
];

t.test('since and until: ISO time, epoch ms (12+ digits) or a duration with a unit', async (t) => {
  for (const [value, expected] of times) {
    for (const name of ['since', 'until'] as const) {
      const label = `${name}=${JSON.stringify(value)}`;
      if (expected === REFUSED) {
        const err = caught(() => parseTime(name, value, now));
        t.ok(
          err instanceof InvalidParameterError && err.parameter === name,
          `${label}: refused, naming ${name}`,
        );
      } else t.equal(parseTime(name, value, now), expected, label);
    }
  }
  t.throws(() => parseTime('since', '5000', now), /give a unit: 5000ms/, 'says how to write a duration');
});

t.test('limit: a whole number from 1 to the list maximum', async (t) => {
  for (const [value, expected] of [
    [undefined, undefined],
    ['', undefined],
    ['1', 1],
    [' 50 ', 50],
    [1000, 1000],
    ['0', REFUSED],
    ['1001', REFUSED],
    ['1.5', REFUSED],
    ['1e2', REFUSED],
    ['0x10', REFUSED],
    ['-1', REFUSED],
    ['abc', REFUSED],
  ] as const) {
    if (expected === REFUSED) {
      const err = caught(() => parseLimit(value, 1000));
      t.ok(err instanceof InvalidParameterError && err.parameter === 'limit', `${value}: refused`);
    } else t.equal(parseLimit(value, 1000), expected, String(value));
  }
});

/** The admin API refuses with 400, the CLI with a usage error: the same values, read the same. */
function outcome(parse: () => number | undefined, refusal: new (...a: never[]) => Error) {
  try {
    return parse();
  } catch (err) {
    if (err instanceof refusal) return REFUSED;
    throw err;
  }
}

t.test('the CLI and the admin API agree on every value', async (t) => {
  for (const [value] of times) {
    if (typeof value !== 'string' && value !== undefined) continue; // the CLI only sees text
    t.equal(
      outcome(() => cliSince(value, now), UsageError),
      outcome(() => adminSince(value, now), InvalidParameterError),
      `since=${JSON.stringify(value)}`,
    );
    t.equal(
      outcome(() => adminUntil(value, now), InvalidParameterError),
      outcome(() => adminSince(value, now), InvalidParameterError),
      `until reads as since: ${JSON.stringify(value)}`,
    );
  }
  for (const value of ['1', '1000', '1001', '0', '1e2', ' 7', 'x']) {
    t.equal(
      outcome(() => cliLimit(value, 1000), UsageError),
      outcome(() => adminLimit(value), InvalidParameterError),
      `limit=${value}`,
    );
  }
  t.throws(() => cliSince('5000', now), { message: /^--since: 5000 is too small/ }, 'the CLI names its flag');
  t.throws(() => cliLimit('0', 50), { message: '--limit: must be a whole number from 1 to 50' });
});

import { InvalidCursorError, InvalidParameterError } from '../errors.js';
import { parseLimit as parseLimitParam } from '../query/params.js';
import { UsageError } from './usage.js';

/** `--limit`, `--cursor` and the `more:` line, shared by `dlq list` and `events list`. */
export function parseLimit(text: string | undefined, max: number): number | undefined {
  return asUsage(() => parseLimitParam(text, max));
}

/** Runs a parameter parser; what it refuses is a usage error naming the flag (exit 2). */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidParameterError) throw new UsageError(`--${err.parameter}: ${err.problem}`);
    throw err;
  }
}

/**
 * The stderr line after a full page: the same command with the same config, filters
 * and limit, plus the cursor, so running it as printed shows the next page of the same list.
 */
export function moreHint(command: string, nextCursor: string, flags: [string, string | undefined][]): string {
  const quote = (v: string) => (/^[\w.,:/@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const given = flags.filter((f): f is [string, string] => f[1] !== undefined);
  const args = [...given.map(([flag, value]) => `${flag} ${quote(value)}`), `--cursor ${nextCursor}`];
  return `more: hookgate ${command} ${args.join(' ')}\n`;
}

/** For a list's `.catch`: a cursor the store did not hand out is a usage error (exit 2). */
export function cursorUsage(command: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof InvalidCursorError)
      throw new UsageError(`--cursor: not a cursor printed by ${command}`);
    throw err;
  };
}

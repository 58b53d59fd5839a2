import type { Config } from '../config/schema.js';
import { UsageError } from './usage.js';

/**
 * `--source` / `--destination` name something in the config: a typo would otherwise
 * match nothing and look like "no dead letters" (or replay nothing) with exit 0.
 */
export function checkNames(config: Config, options: { source?: string; destination?: string }): void {
  const check = (flag: string, kind: string, name: string | undefined, known: string[]) => {
    if (name === undefined || known.includes(name)) return;
    const list = known.length ? known.join(', ') : 'none';
    throw new UsageError(`${flag}: unknown ${kind} "${name}" (configured: ${list})`);
  };
  check('--source', 'source', options.source, Object.keys(config.sources));
  check('--destination', 'destination', options.destination, Object.keys(config.destinations));
}

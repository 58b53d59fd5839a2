import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { EventBridgeDestination } from './eventbridge.js';
import { HttpDestination } from './http.js';
import { SnsDestination } from './sns.js';
import { SqsDestination } from './sqs.js';
import type { DestinationOptions } from './options.js';
import type { Destination } from './types.js';

export type { Destination, SendResult } from './types.js';
export { PermanentError, RetryableError } from './errors.js';

export interface DestinationContext {
  /** `defaults.timeout` (ms), used when a destination sets no `timeout`. */
  defaultTimeout: number;
  logger?: Logger;
}

/**
 * Builds one destination from its validated options. Clients (AWS SDK, templates) are
 * created here, once, and reused for every send. Throws ConfigError for options the
 * schema could not catch.
 */
export function createDestination(
  name: string,
  options: DestinationOptions,
  ctx: DestinationContext,
): Destination {
  const timeoutMs = options.timeout ?? ctx.defaultTimeout;
  try {
    switch (options.type) {
      case 'http':
        return new HttpDestination(name, options, timeoutMs);
      case 'sqs':
        return new SqsDestination(name, options, timeoutMs);
      case 'sns':
        return new SnsDestination(name, options, timeoutMs);
      case 'eventbridge':
        return new EventBridgeDestination(name, options, timeoutMs);
      default:
        throw new ConfigError([
          `destinations.${name}.type: unknown type "${(options as { type: string }).type}"`,
        ]);
    }
  } catch (err) {
    if (err instanceof ConfigError || !(err instanceof Error)) throw err;
    throw new ConfigError([`destinations.${name}: ${err.message}`]);
  }
}

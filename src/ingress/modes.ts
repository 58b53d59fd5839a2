import { registerProxySource } from './proxy/register.js';
import { registerAckSource } from './ack.js';
import type { Modes } from './context.js';

/**
 * How each `mode` of a source is served. A mode without an entry is not served
 * (its sources are skipped with a warning at start-up); proxy mode plugs in here.
 */
export const defaultModes: Modes = {
  ack: registerAckSource,
  proxy: registerProxySource,
};

import type { Config } from '../config/schema.js';
import { openStore } from '../queue/delivery-queues.js';
import { loadFromOptions } from './options.js';

/**
 * Runs `fn` with the queues of the configured Redis, closing the connection afterwards;
 * `check` sees the config first, so a usage error needs no Redis.
 */
export async function withQueues<T>(
  options: { config?: string },
  fn: (ctx: { config: Config; queues: ReturnType<typeof openStore> }) => Promise<T>,
  check: (config: Config) => void = () => {},
): Promise<T> {
  // These commands verify and sign nothing: they run without the webhook secrets.
  const { config } = loadFromOptions(options, 'unchecked');
  check(config);
  const queues = openStore(config, 'enqueue');
  try {
    // A one-shot command ends at the first failed dial, saying why.
    await queues.ready(5000, { failFast: true });
    return await fn({ config, queues });
  } finally {
    await queues.close();
  }
}

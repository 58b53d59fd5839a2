import type { Config } from '../config/schema.js';
import { openStore } from '../queue/delivery-queues.js';
import { loadFromOptions } from './options.js';

/** Runs `fn` with the queues of the configured Redis, closing the connection afterwards. */
export async function withQueues<T>(
  options: { config?: string },
  fn: (ctx: { config: Config; queues: ReturnType<typeof openStore> }) => Promise<T>,
): Promise<T> {
  const { config } = loadFromOptions(options);
  const queues = openStore(config, 'enqueue');
  try {
    await queues.ready();
    return await fn({ config, queues });
  } finally {
    await queues.close();
  }
}

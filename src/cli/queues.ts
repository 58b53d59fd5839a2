import type { Config } from '../config/schema.js';
import type { EventLog } from '../event-log/log.js';
import { openEventLog } from '../event-log/open.js';
import { openStore } from '../queue/delivery-queues.js';
import { loadFromOptions } from './options.js';

/**
 * Runs `fn` with the queues of the configured Redis (and the event log, if any), closing both afterwards;
 * `check` sees the config first, so a usage error needs no Redis.
 */
export async function withQueues<T>(
  options: { config?: string },
  fn: (ctx: {
    config: Config;
    queues: ReturnType<typeof openStore>;
    log: EventLog | undefined;
  }) => Promise<T>,
  check: (config: Config) => void = () => {},
): Promise<T> {
  // These commands verify and sign nothing: they run without the webhook secrets.
  const { config } = loadFromOptions(options, 'unchecked');
  check(config);
  const queues = openStore(config, 'enqueue');
  // With `eventLog`: history and dead letters are read from PostgreSQL too.
  const log = openEventLog(config);
  try {
    // A one-shot command ends at the first failed dial, saying why.
    await queues.ready(5000, { failFast: true });
    return await fn({ config, queues, log });
  } finally {
    await Promise.all([queues.close(), log?.close()]);
  }
}

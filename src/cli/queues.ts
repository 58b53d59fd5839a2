import type { Config } from '../config/schema.js';
import { redisErrorKind, type RedisConnection } from '../queue/connection.js';
import { openStore, redisLocation, RedisUnavailableError } from '../queue/delivery-queues.js';
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
    await connected(queues.redis, config);
    return await fn({ config, queues });
  } finally {
    await queues.close();
  }
}

/** Node's codes for a host name that does not resolve (no such name, or no DNS answer). */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/**
 * A one-shot command does not wait out an outage the way a server does: the first
 * failed dial ends it, saying why (a name that does not resolve is a typo or a DNS
 * problem, a refused port a Redis that is not running, a refused password or
 * certificate what to fix). A dial that hangs ends at `timeoutMs`.
 */
function connected(redis: RedisConnection, config: Config, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  const where = redisLocation(config);
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    let lastError: unknown;
    const onError = (err: NodeJS.ErrnoException) => {
      lastError = err;
      if (err.code && UNRESOLVED.has(err.code)) {
        const host = (err as { hostname?: string }).hostname ?? where.replace(/:\d+$/, '');
        done(new Error(`cannot resolve host "${host}" (redis.url): no such host, or no DNS answer`));
      } else if (err.code === 'ECONNREFUSED') {
        done(new Error(`Redis at ${where} refused the connection: is it running? (redis.url)`));
      } else if (redisErrorKind(err) !== 'other') {
        done(new RedisUnavailableError(where, err));
      }
    };
    const timer = setTimeout(() => done(new RedisUnavailableError(where, lastError)), timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

import rateLimit from '@fastify/rate-limit';
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { errors } from '../errors.js';
import { createRedis, type RedisConnection } from '../queue/connection.js';
import type { SourceRegistration } from './context.js';

/**
 * The rate limiter's own Redis client: no offline queue and a short command timeout,
 * so an unreachable or stalled Redis fails the check at once and `skipOnError` lets
 * the request through — the intake writer then answers 503 on its own terms instead
 * of the limiter hanging the request.
 */
export function createRateLimitRedis(config: Config): RedisConnection {
  const commandTimeout = Math.max(50, Math.min(500, Math.floor(config.server.enqueueTimeout / 4)));
  return createRedis(config.redis, 'enqueue', { commandTimeout });
}

/**
 * Waits (bounded) for the first connection: with no offline queue, checks made before
 * it would all be skipped, letting a burst at start-up through unlimited.
 */
export async function rateLimitRedisReady(redis: RedisConnection, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.once('ready', done);
  });
}

/**
 * Registers @fastify/rate-limit once for the app, on Redis so every gateway
 * instance shares the counters. Limits apply only to routes that carry
 * `rateLimitConfig()` in their config.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  redis: RedisConnection,
  prefix: string,
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${prefix}:rate-limit:`,
    skipOnError: true,
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_req, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

/** Route config for a source's `rateLimit`: one counter per source, whoever sends. */
export function rateLimitConfig(reg: SourceRegistration): FastifyContextConfig['rateLimit'] | undefined {
  const limit = reg.source.rateLimit;
  if (!limit) return undefined;
  return { max: limit.max, timeWindow: limit.window, keyGenerator: () => reg.name };
}

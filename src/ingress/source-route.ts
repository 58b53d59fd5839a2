import type { RouteHandlerMethod, RouteOptions } from 'fastify';
import type { SourceRegistration } from './context.js';
import { rateLimitConfig } from './rate-limit.js';

/**
 * The one route of a source: its path and methods, tagged with the source name
 * (request log, metrics) and its rate limit. Every mode registers through this.
 */
export function sourceRoute(reg: SourceRegistration, handler: RouteHandlerMethod): RouteOptions {
  const rateLimit = rateLimitConfig(reg);
  return {
    method: reg.methods,
    url: reg.path,
    bodyLimit: reg.bodyLimit,
    config: { source: reg.name, ...(rateLimit ? { rateLimit } : {}) },
    handler,
  };
}

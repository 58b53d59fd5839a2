import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { errors, HookgateError, InvalidParameterError } from '../errors.js';
import { EventLogUnavailableError } from '../event-log/sql.js';
import { RedisUnavailableError } from '../queue/delivery-queues.js';

/** The admin API's answers, by the names its routes use; every one is from the catalogue. */
export const adminErrors = {
  unauthorized: errors.unauthorized,
  eventNotFound: errors.eventNotFound,
  deadLetterNotFound: errors.deadLetterNotFound,
  routeNotFound: errors.adminRouteNotFound,
  unknownDestination: errors.unknownDestination,
  destinationNotFound: errors.destinationNotFound,
  invalidCursor: errors.invalidCursor,
  badRequest: errors.badRequest,
  unavailable: errors.redisUnreachable,
  eventLogUnavailable: errors.eventLogUnreachable,
} as const;

export function sendError(reply: FastifyReply, e: HookgateError): FastifyReply {
  return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
}

/** Framework and Redis errors leave in the catalogue format too, without their messages. */
export function installAdminErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HookgateError) return sendError(reply, err);
    if (err instanceof RedisUnavailableError) return sendError(reply, adminErrors.unavailable());
    if (err instanceof EventLogUnavailableError) {
      req.log.warn({ err: err.message }, 'event log unavailable');
      return sendError(reply, adminErrors.eventLogUnavailable());
    }
    if (err instanceof InvalidParameterError) return sendError(reply, errors.badRequest(`${err.message}.`));
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(reply, errors.unreadable());
    req.log.error({ err }, 'admin request failed');
    return sendError(reply, errors.internal());
  });
}

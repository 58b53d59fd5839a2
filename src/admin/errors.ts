import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { createError, errors, HookgateError } from '../errors.js';

/** The admin API's answers besides the shared catalogue, in the same `{"error": {...}}` format. */
export const adminErrors = {
  unauthorized: errors.unauthorized,
  eventNotFound: () => createError('EVENT_NOT_FOUND', 'No event with this id.', 404),
  deadLetterNotFound: () => createError('DEAD_LETTER_NOT_FOUND', 'No dead letter with this id.', 404),
  routeNotFound: () => createError('NOT_FOUND', 'No admin route at this path.', 404),
  unknownDestination: (name: string) =>
    createError('UNKNOWN_DESTINATION', `No destination "${name}" is configured.`, 400),
  destinationNotFound: (name: string) =>
    createError('DESTINATION_NOT_FOUND', `No destination "${name}" is configured.`, 404),
  invalidCursor: () => createError('INVALID_CURSOR', 'The cursor is not one this API returned.', 400),
  badRequest: errors.badRequest,
  unavailable: () =>
    createError('STORE_UNAVAILABLE', 'Redis is not reachable; retry later.', 503, { 'retry-after': '5' }),
} as const;

export function sendError(reply: FastifyReply, e: HookgateError): FastifyReply {
  return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
}

/** Framework and Redis errors leave in the catalogue format too, without their messages. */
export function installAdminErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HookgateError) return sendError(reply, err);
    if ((err as Error).name === 'RedisUnavailableError') return sendError(reply, adminErrors.unavailable());
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(reply, createError('BAD_REQUEST', 'The request could not be read.', status));
    }
    req.log.error({ err }, 'admin request failed');
    return sendError(reply, errors.internal());
  });
}

import type { FastifyInstance } from 'fastify';
import { InvalidCursorError } from '../errors.js';
import { EventNotFoundError, UnknownDestinationError, type EventHistory } from '../events/history.js';
import { adminErrors } from './errors.js';
import { optionalString, parseLimit } from './params.js';

interface IdParams {
  id: string;
}

/** `/admin/events`: list (cursor pages), show, replay: the events store's, as `hookgate events list|show|replay`. */
export function registerEventRoutes(app: FastifyInstance, events: EventHistory): void {
  app.get<{ Querystring: Record<string, unknown> }>('/admin/events', async (req) => {
    const q = req.query;
    const source = optionalString('source', q.source);
    const limit = parseLimit(q.limit);
    const cursor = optionalString('cursor', q.cursor);
    try {
      return await events.list({
        ...(source !== undefined ? { source } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw adminErrors.invalidCursor();
      throw err;
    }
  });

  app.get<{ Params: IdParams }>('/admin/events/:id', async (req) => {
    const event = await events.get(req.params.id);
    if (!event) throw adminErrors.eventNotFound();
    return event;
  });

  app.post<{ Params: IdParams; Body: unknown; Querystring: Record<string, unknown> }>(
    '/admin/events/:id/replay',
    async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body))
        throw adminErrors.badRequest('The body must be a JSON object.');
      const destination = optionalString('destination', body.destination ?? req.query.destination);
      try {
        const result = await events.replay(req.params.id, destination !== undefined ? { destination } : {});
        return reply.code(202).send(result);
      } catch (err) {
        if (err instanceof EventNotFoundError) throw adminErrors.eventNotFound();
        if (err instanceof UnknownDestinationError) throw adminErrors.unknownDestination(destination ?? '');
        throw err;
      }
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { InvalidCursorError } from '../errors.js';
import {
  EVENT_STATUSES,
  EventNotFoundError,
  UnknownDestinationError,
  type EventHistory,
  type EventQuery,
  type EventStatus,
} from '../events/history.js';
import { adminErrors } from './errors.js';
import { optionalString, parseLimit, parseSince, parseUntil } from './params.js';

interface IdParams {
  id: string;
}

/** `/admin/events`: list (cursor pages), show, replay: the events store's, as `hookgate events list|show|replay`. */
export function registerEventRoutes(app: FastifyInstance, events: EventHistory): void {
  app.get<{ Querystring: Record<string, unknown> }>('/admin/events', async (req) => {
    const q = req.query;
    const query: EventQuery = {};
    const source = optionalString('source', q.source);
    const type = optionalString('type', q.type);
    const status = optionalString('status', q.status);
    const search = optionalString('q', q.q);
    const limit = parseLimit(q.limit);
    const cursor = optionalString('cursor', q.cursor);
    const since = parseSince(q.since);
    const until = parseUntil(q.until);
    if (status !== undefined && !(EVENT_STATUSES as readonly string[]).includes(status))
      throw adminErrors.badRequest(`status must be one of ${EVENT_STATUSES.join(', ')}.`);
    if (source !== undefined) query.source = source;
    if (type !== undefined) query.type = type;
    if (status !== undefined) query.status = status as EventStatus;
    if (search !== undefined) query.q = search;
    if (since !== undefined) query.since = since;
    if (until !== undefined) query.until = until;
    if (limit !== undefined) query.limit = limit;
    if (cursor !== undefined) query.cursor = cursor;
    try {
      return await events.list(query);
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

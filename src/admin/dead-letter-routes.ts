import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { DeadLetterFilter, DeadLetterStore } from '../dead-letter/store.js';
import { errors, InvalidCursorError } from '../errors.js';
import { adminErrors } from './errors.js';
import { optionalString, parseLimit, parseSince } from './params.js';

interface IdParams {
  id: string;
}

/**
 * Filters name what the config has: a typo would otherwise match nothing and look like
 * an empty store, or a bulk replay of nothing.
 */
function filterFrom(source: Record<string, unknown>, config: Config): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const destination = optionalString('destination', source.destination);
  const from = optionalString('source', source.source);
  if (destination !== undefined && !Object.hasOwn(config.destinations, destination))
    throw adminErrors.unknownDestination(destination);
  if (from !== undefined && !Object.hasOwn(config.sources, from)) throw errors.unknownSource(from);
  const since = parseSince(source.since);
  if (destination !== undefined) filter.destination = destination;
  if (from !== undefined) filter.source = from;
  if (since !== undefined) filter.since = since;
  return filter;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw adminErrors.badRequest('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/**
 * `/admin/dead-letters`: the dead-letter store's list/get/replay/purge, the same calls
 * `hookgate dlq` makes. A replay leaves the store only once re-enqueued (one BullMQ
 * script per id).
 */
export function registerDeadLetterRoutes(app: FastifyInstance, store: DeadLetterStore, config: Config): void {
  app.get<{ Querystring: Record<string, unknown> }>('/admin/dead-letters', async (req) => {
    const limit = parseLimit(req.query.limit);
    const cursor = optionalString('cursor', req.query.cursor);
    try {
      return await store.list({
        ...filterFrom(req.query, config),
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw adminErrors.invalidCursor();
      throw err;
    }
  });

  app.get<{ Params: IdParams }>('/admin/dead-letters/:id', async (req) => {
    const dead = await store.get(req.params.id);
    if (!dead) throw adminErrors.deadLetterNotFound();
    return dead;
  });

  app.post<{ Params: IdParams }>('/admin/dead-letters/:id/replay', async (req, reply) => {
    const result = await store.replay([req.params.id]);
    if (result.done.length === 0) throw adminErrors.deadLetterNotFound();
    return reply.code(202).send({ replayed: result.done });
  });

  /**
   * Bulk: `{"ids": [...]}`, or filters (`destination`, `source`, `since`), or
   * `{"all": true}`. An empty body is refused rather than read as "everything".
   */
  app.post<{ Body: unknown }>('/admin/dead-letters/replay', async (req, reply) => {
    const body = objectBody(req.body);
    let target: string[] | DeadLetterFilter;
    if (body.ids !== undefined) {
      if (!Array.isArray(body.ids) || !body.ids.every((id) => typeof id === 'string' && id.length > 0)) {
        throw adminErrors.badRequest('ids must be a list of dead-letter ids.');
      }
      target = body.ids as string[];
    } else {
      target = filterFrom(body, config);
      if (Object.keys(target).length === 0 && body.all !== true) {
        throw adminErrors.badRequest('Give ids, a filter (destination, source, since) or "all": true.');
      }
    }
    const result = await store.replay(target);
    return reply.code(202).send({ replayed: result.done, notFound: result.notFound });
  });

  app.delete<{ Params: IdParams }>('/admin/dead-letters/:id', async (req, reply) => {
    const result = await store.purge([req.params.id]);
    if (result.done.length === 0) throw adminErrors.deadLetterNotFound();
    return reply.code(204).send();
  });
}

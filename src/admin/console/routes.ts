import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import type { DeadLetterFilter, DeadLetterStore } from '../../dead-letter/store.js';
import type { EventLog } from '../../event-log/log.js';
import { InvalidCursorError, InvalidParameterError } from '../../errors.js';
import {
  EVENT_STATUSES,
  EventNotFoundError,
  type EventHistory,
  type EventQuery,
  type EventStatus,
} from '../../events/history.js';
import { destinationControls, listDestinations } from '../../queue/controls.js';
import type { Store } from '../../queue/delivery-queues.js';
import { hasSession } from '../auth.js';
import { adminErrors, sendError } from '../errors.js';
import { consoleNext } from '../login.js';
import { parseSince, parseUntil } from '../params.js';
import { answerOf, createAnswerReader } from './answers.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { csrfProblem, csrfToken, sessionValue } from './csrf.js';
import { CONSOLE_BASE, CSP, page, type Frame } from './html.js';
import {
  deadLettersBody,
  destinationsBody,
  eventBody,
  eventHref,
  eventsBody,
  LIVE_ROWS,
  liveItems,
  purgeConfirmBody,
  type DeadLetterFilters,
  type EventFilters,
} from './pages.js';

export interface ConsoleOptions {
  token: string;
  config: Config;
  events: EventHistory;
  deadLetters: DeadLetterStore;
  queues: Store;
  /** With `eventLog`: where the answers of proxy records Redis let go of are read. */
  eventLog?: EventLog;
  now?: () => number;
}

type Form = Record<string, string | string[]>;

/** Events one live poll reads at most: the rows it sends (LIVE_ROWS) and a count of the rest. */
const LIVE_COUNT = 1000;
type Query = Record<string, unknown>;

/** Notices after an action: fixed texts keyed by the redirect's `done`, so nothing is echoed. */
const NOTICES: Record<string, (n: number) => string> = {
  replayed: (n) => `Replayed: ${n} new deliver${n === 1 ? 'y' : 'ies'}.`,
  'dl-replayed': (n) => `Replayed ${n} dead letter${n === 1 ? '' : 's'}.`,
  purged: (n) => `Purged ${n} dead letter${n === 1 ? '' : 's'}.`,
  paused: () => 'Destination paused.',
  resumed: () => 'Destination resumed.',
  'none-selected': () => 'Nothing selected.',
};

function notice(query: Query): string | undefined {
  const done = typeof query.done === 'string' ? query.done : undefined;
  if (!done || !Object.hasOwn(NOTICES, done)) return undefined;
  const n = typeof query.n === 'string' && /^\d{1,6}$/.test(query.n) ? Number(query.n) : 0;
  return NOTICES[done]!(n);
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');

/**
 * The console: server-rendered pages under `/admin/` on the session cookie
 * of `/admin/login`, in a scope of its own. Reads use the same calls as the JSON API
 * (EventHistory, DeadLetterStore, listDestinations); every action is a form POST that
 * needs the session and its CSRF token, and answers with a redirect back to the page.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { token, config, events, deadLetters, queues } = options;
  const now = options.now ?? Date.now;
  const controls = destinationControls(queues);
  const sources = Object.keys(config.sources).sort();
  const destinations = Object.keys(config.destinations).sort();
  const answers = createAnswerReader(config, queues, options.eventLog);

  // Assets carry no data: no session needed (the login page may want them one day).
  app.get(`${CONSOLE_BASE}/app.js`, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_JS),
  );
  app.get(`${CONSOLE_BASE}/app.css`, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_CSS),
  );
  app.get('/admin', async (_req, reply) => reply.code(301).header('location', '/admin/').send());

  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async stands for done()
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 256 * 1024 },
      (_req, body, done) => {
        const form: Form = {};
        for (const [k, v] of new URLSearchParams(body as string)) {
          const prev = form[k];
          form[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        done(null, form);
      },
    );
    scope.addHook('onRequest', async (req, reply) => {
      reply
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY')
        // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on
        // the console's own form posts, and the Origin check below needs the real one.
        .header('referrer-policy', 'same-origin')
        .header('cache-control', 'no-store');
      if (hasSession(req, token, now())) return;
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (req.url.startsWith(`${CONSOLE_BASE}/live`)) return sendError(reply, adminErrors.unauthorized());
        const next = consoleNext(req.url.split('?')[0]) ?? '/admin/';
        return reply
          .code(303)
          .header('location', `/admin/login?next=${encodeURIComponent(next)}`)
          .send();
      }
      return refuse(reply, 'no session');
    });
    // Actions: the session's CSRF token in the form, and no other origin.
    scope.addHook('preHandler', async (req, reply) => {
      if (req.method !== 'POST') return;
      const problem = csrfProblem(req, token, (req.body as Form | undefined)?.csrf);
      if (problem) {
        req.log.warn({ path: req.url.split('?')[0], problem }, 'console action refused');
        return refuse(reply, problem);
      }
    });

    const csrfOf = (req: FastifyRequest) => csrfToken(token, sessionValue(req) ?? '');
    const html = (reply: FastifyReply, frame: Frame, status = 200) =>
      reply.code(status).type('text/html; charset=utf-8').send(page(frame));

    // ---- Events ----
    const eventQuery = (q: Query): { filters: EventFilters; query: EventQuery } => {
      const filters: EventFilters = {};
      const query: EventQuery = {};
      for (const k of ['source', 'type', 'status', 'since', 'until', 'q'] as const) {
        const v = str(q[k]);
        if (v !== undefined) filters[k] = v;
      }
      if (filters.source) query.source = filters.source;
      if (filters.type) query.type = filters.type;
      if (filters.status) {
        if (!(EVENT_STATUSES as readonly string[]).includes(filters.status))
          throw new InvalidParameterError('status', `must be one of ${EVENT_STATUSES.join(', ')}`);
        query.status = filters.status as EventStatus;
      }
      const since = parseSince(filters.since);
      const until = parseUntil(filters.until);
      if (since !== undefined) query.since = since;
      if (until !== undefined) query.until = until;
      if (filters.q) query.q = filters.q;
      return { filters, query };
    };

    scope.get<{ Querystring: Query }>('/admin/', async (req, reply) => {
      let filters: EventFilters = {};
      try {
        const parsed = eventQuery(req.query);
        filters = parsed.filters;
        const cursor = str(req.query.cursor);
        const result = await events.list({ ...parsed.query, limit: 50, ...(cursor ? { cursor } : {}) });
        const n = notice(req.query);
        return html(reply, {
          title: 'Events',
          current: 'events',
          ...(n ? { notice: n } : {}),
          body: eventsBody(filters, result.items, sources, result.nextCursor, cursor === undefined, {
            column: answers.enabled,
            of: await answers.answers(result.items),
          }),
        });
      } catch (err) {
        const message = filterError(err);
        if (message === undefined) throw err;
        return html(
          reply,
          {
            title: 'Events',
            current: 'events',
            error: message,
            body: eventsBody(filters, [], sources, null, false, { column: answers.enabled, of: new Map() }),
          },
          400,
        );
      }
    });

    // The live view's poll: only events received at or after `newer` (epoch ms, the
    // newest row the page shows), less `seen` (the page's rows received in that very
    // ms). At most LIVE_ROWS come back, newest first; `more` counts the others it found
    // (up to LIVE_COUNT; `capped`: there are more still), which the page does not show.
    scope.get<{ Querystring: Query }>(`${CONSOLE_BASE}/live`, async (req, reply) => {
      try {
        const { query } = eventQuery(req.query);
        const newer = str(req.query.newer);
        if (newer !== undefined) {
          if (!/^\d{1,15}$/.test(newer)) throw new InvalidParameterError('newer', 'must be epoch ms');
          query.since = Math.max(query.since ?? 0, Number(newer));
        }
        const seen = new Set((str(req.query.seen) ?? '').split(',').slice(0, 100));
        const result = await events.list({ ...query, limit: LIVE_COUNT });
        // Redis lists `since` by when the intake got the event, a row shows when it was
        // received (its id): an event received before `newer` can be listed after it.
        const from = newer === undefined ? 0 : Number(newer);
        const found = result.items.filter((e) => !seen.has(e.id) && Date.parse(e.receivedAt) >= from);
        const shown = found.slice(0, LIVE_ROWS);
        return {
          items: liveItems(shown, await answers.answers(shown)),
          more: found.length - shown.length,
          capped: result.nextCursor !== null,
        };
      } catch (err) {
        const message = filterError(err);
        if (message === undefined) throw err;
        return sendError(reply, adminErrors.badRequest(message));
      }
    });

    scope.get<{ Params: { id: string }; Querystring: Query }>(
      `${CONSOLE_BASE}/events/:id`,
      async (req, reply) => {
        const event = await events.get(req.params.id);
        if (!event)
          return html(
            reply,
            { title: 'Event not found', body: '<p><a href="/admin/">Back to events</a></p>' },
            404,
          );
        const proxy = answers.isProxy(event.source) ? answerOf(event.envelope) : undefined;
        const used = [...new Set(event.deliveries.map((d) => d.destination))].filter((d) =>
          Object.hasOwn(config.destinations, d),
        );
        const n = notice(req.query);
        return html(reply, {
          title: `Event ${event.id}`,
          current: 'events',
          ...(n ? { notice: n } : {}),
          body: eventBody(event, csrfOf(req), used.length ? used.sort() : destinations, proxy),
        });
      },
    );

    scope.post<{ Params: { id: string }; Body: Form }>(
      `${CONSOLE_BASE}/events/:id/replay`,
      async (req, reply) => {
        const destination = str(req.body.destination);
        if (destination !== undefined && !Object.hasOwn(config.destinations, destination))
          return html(reply, { title: 'Replay refused', error: `Unknown destination.`, body: '' }, 400);
        try {
          const result = await events.replay(req.params.id, destination ? { destination } : {});
          req.log.info(
            { eventId: req.params.id, destination, deliveries: result.deliveries },
            'console replay',
          );
          return reply
            .code(303)
            .header('location', `${eventHref(req.params.id)}?done=replayed&n=${result.deliveries.length}`)
            .send();
        } catch (err) {
          if (err instanceof EventNotFoundError)
            return html(reply, { title: 'Event not found', body: '' }, 404);
          throw err;
        }
      },
    );

    // ---- Dead letters ----
    const dlFilter = (q: Query): { filters: DeadLetterFilters; filter: DeadLetterFilter } => {
      const filters: DeadLetterFilters = {};
      const filter: DeadLetterFilter = {};
      const destination = str(q.destination);
      const source = str(q.source);
      const since = str(q.since);
      if (destination !== undefined) {
        if (!Object.hasOwn(config.destinations, destination))
          throw new InvalidParameterError('destination', 'is not a configured destination');
        filters.destination = filter.destination = destination;
      }
      if (source !== undefined) {
        if (!Object.hasOwn(config.sources, source))
          throw new InvalidParameterError('source', 'is not a configured source');
        filters.source = filter.source = source;
      }
      if (since !== undefined) {
        filters.since = since;
        filter.since = parseSince(since)!;
      }
      return { filters, filter };
    };

    scope.get<{ Querystring: Query }>(`${CONSOLE_BASE}/dead-letters`, async (req, reply) => {
      let filters: DeadLetterFilters = {};
      const frame = { title: 'Dead letters', current: 'dead-letters' as const };
      try {
        const parsed = dlFilter(req.query);
        filters = parsed.filters;
        const cursor = str(req.query.cursor);
        const result = await deadLetters.list({
          ...parsed.filter,
          limit: 100,
          ...(cursor ? { cursor } : {}),
        });
        const n = notice(req.query);
        return html(reply, {
          ...frame,
          ...(n ? { notice: n } : {}),
          body: deadLettersBody(filters, result.items, destinations, sources, csrfOf(req), result.nextCursor),
        });
      } catch (err) {
        const message = filterError(err);
        if (message === undefined) throw err;
        return html(
          reply,
          {
            ...frame,
            error: message,
            body: deadLettersBody(filters, [], destinations, sources, '', undefined),
          },
          400,
        );
      }
    });

    const backToDeadLetters = (reply: FastifyReply, done: string, n: number) =>
      reply.code(303).header('location', `${CONSOLE_BASE}/dead-letters?done=${done}&n=${n}`).send();

    scope.post<{ Body: Form }>(`${CONSOLE_BASE}/dead-letters/replay`, async (req, reply) => {
      const ids = list(req.body.ids);
      if (ids.length === 0) return backToDeadLetters(reply, 'none-selected', 0);
      const result = await deadLetters.replay(ids);
      req.log.info(
        { replayed: result.done.length, notFound: result.notFound.length },
        'console dead-letter replay',
      );
      return backToDeadLetters(reply, 'dl-replayed', result.done.length);
    });

    scope.post<{ Body: Form }>(`${CONSOLE_BASE}/dead-letters/purge`, async (req, reply) => {
      const ids = list(req.body.ids);
      if (ids.length === 0) return backToDeadLetters(reply, 'none-selected', 0);
      if (req.body.confirm !== 'yes') {
        return html(reply, {
          title: 'Purge dead letters?',
          current: 'dead-letters',
          body: purgeConfirmBody(ids, csrfOf(req)),
        });
      }
      const result = await deadLetters.purge(ids);
      req.log.info(
        { purged: result.done.length, notFound: result.notFound.length },
        'console dead-letter purge',
      );
      return backToDeadLetters(reply, 'purged', result.done.length);
    });

    // ---- Destinations ----
    scope.get<{ Querystring: Query }>(`${CONSOLE_BASE}/destinations`, async (req, reply) => {
      const n = notice(req.query);
      return html(reply, {
        title: 'Destinations',
        current: 'destinations',
        ...(n ? { notice: n } : {}),
        body: destinationsBody(await listDestinations(queues, config), csrfOf(req)),
      });
    });

    scope.post<{ Params: { name: string; action: string } }>(
      `${CONSOLE_BASE}/destinations/:name/:action`,
      async (req, reply) => {
        const { name, action } = req.params;
        if (!Object.hasOwn(config.destinations, name) || (action !== 'pause' && action !== 'resume'))
          return html(reply, { title: 'Not found', body: '' }, 404);
        if (action === 'pause') await controls.pause(name);
        else await controls.resume(name);
        req.log.info(
          { destination: name },
          action === 'pause' ? 'destination paused' : 'destination resumed',
        );
        return reply
          .code(303)
          .header(
            'location',
            `${CONSOLE_BASE}/destinations?done=${action === 'pause' ? 'paused' : 'resumed'}`,
          )
          .send();
      },
    );
  });
}

function refuse(reply: FastifyReply, problem: string): FastifyReply {
  return reply
    .code(403)
    .type('text/html; charset=utf-8')
    .send(
      page({
        title: 'Refused',
        error: `This action was refused (${problem}). Reload the page and try again.`,
        body: `<p><a href="/admin/">Back to the console</a></p>`,
      }),
    );
}

function filterError(err: unknown): string | undefined {
  if (err instanceof InvalidParameterError) return `${err.parameter} ${err.problem}.`;
  if (err instanceof InvalidCursorError) return 'That page link is no longer valid.';
  return undefined;
}

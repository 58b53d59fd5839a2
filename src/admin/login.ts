import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, SESSION_PATH } from './auth.js';
import { serializeCookie } from './cookies.js';
import { issueSession, secretsEqual } from './credentials.js';
import { loginPage } from './login-page.js';
import { SignInLimiter } from './sign-in-limit.js';

export const SESSION_TTL_MS = 12 * 3_600_000;
/**
 * A sign-in scopes the session cookie to `/admin`, so it reaches the console
 * (`/admin/`, where a sign-in lands unless `next` names another console page) and the
 * queue dashboard; the JSON API under `/admin` ignores cookies (bearer only).
 */
export const CONSOLE_SESSION_PATH = '/admin';

/** Where a console sign-in may go afterwards: the console's own paths, no query, no other host. */
export function consoleNext(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\/admin\/(?:console\/[A-Za-z0-9._~%-]+(?:\/[A-Za-z0-9._~%-]+)*)?$/.test(value) ? value : undefined;
}

/**
 * `GET /admin/login` (the form, or `?token=` once), `POST /admin/login` (the form's
 * post) and `/admin/logout`. A good token sets the session cookie and redirects
 * to the console, so the token leaves the address bar at once.
 */
export function registerLogin(
  app: FastifyInstance,
  token: string,
  options: { now?: () => number; ttlMs?: number } = {},
): void {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? SESSION_TTL_MS;
  const limiter = new SignInLimiter(10, 60_000, now);

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8192 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const signIn = (req: FastifyRequest, reply: FastifyReply, given: unknown, nextValue?: unknown) => {
    const next = consoleNext(nextValue);
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const wait = limiter.retryAfter(req.ip);
    if (wait !== undefined) {
      req.log.warn({ path: '/admin/login', ip: req.ip }, 'admin sign-in blocked after repeated failures');
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .type('text/html; charset=utf-8')
        .send(loginPage('Too many failed sign-ins; try again later.', next));
    }
    if (typeof given !== 'string' || !secretsEqual(given, token)) {
      limiter.fail(req.ip);
      req.log.warn({ path: '/admin/login' }, 'admin sign-in refused');
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(loginPage('That token is not valid.', next));
    }
    limiter.succeed(req.ip);
    const expiresAt = now() + ttlMs;
    reply.header(
      'set-cookie',
      serializeCookie(SESSION_COOKIE, issueSession(token, expiresAt), {
        path: CONSOLE_SESSION_PATH,
        maxAge: ttlMs / 1000,
        secure: req.protocol === 'https',
      }),
    );
    return reply
      .code(303)
      .header('location', next ?? '/admin/')
      .send();
  };

  app.get<{ Querystring: { token?: string; next?: string } }>('/admin/login', async (req, reply) => {
    if (req.query.token !== undefined) return signIn(req, reply, req.query.token, req.query.next);
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(loginPage(undefined, consoleNext(req.query.next)));
  });

  app.post<{ Body: { token?: unknown; next?: unknown } | undefined }>('/admin/login', async (req, reply) =>
    signIn(req, reply, req.body?.token, req.body?.next),
  );

  // GET too: the dashboard's "Sign out" is a plain link. Both cookie paths end.
  app.route({
    method: ['GET', 'POST'],
    url: '/admin/logout',
    handler: async (req, reply) => {
      reply.header(
        'set-cookie',
        [SESSION_PATH, CONSOLE_SESSION_PATH].map((path) =>
          serializeCookie(SESSION_COOKIE, '', { path, maxAge: 0, secure: req.protocol === 'https' }),
        ),
      );
      return reply.code(303).header('location', '/admin/login').send();
    },
  });
}

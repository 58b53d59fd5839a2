import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from './cookies.js';
import { bearerToken, secretsEqual, sessionValid } from './credentials.js';
import { adminErrors, sendError } from './errors.js';
import { loginPage } from './login-page.js';

export const SESSION_COOKIE = 'hookgate_admin';
/** The only paths the session cookie is sent to (and accepted on): the dashboard. */
export const SESSION_PATH = '/admin/queues';

export function hasBearer(req: FastifyRequest, token: string): boolean {
  const given = bearerToken(req.headers.authorization);
  return given !== undefined && secretsEqual(given, token);
}

export function hasSession(req: FastifyRequest, token: string, now = Date.now()): boolean {
  return sessionValid(token, readCookie(req.headers.cookie, SESSION_COOKIE), now);
}

/** The JSON API and `/metrics`: the bearer token only, so no cookie can be ridden cross-site. */
export function requireBearer(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!hasBearer(req, token)) return sendError(reply, adminErrors.unauthorized());
  };
}

/**
 * The dashboard: the bearer token or a session cookie. A browser without either gets
 * the 401 as the login form, anything else the JSON error.
 */
export function requireBearerOrSession(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (hasBearer(req, token) || hasSession(req, token)) return;
    if (wantsHtml(req)) {
      return reply.code(401).type('text/html; charset=utf-8').send(loginPage());
    }
    return sendError(reply, adminErrors.unauthorized());
  };
}

function wantsHtml(req: FastifyRequest): boolean {
  return req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '');
}

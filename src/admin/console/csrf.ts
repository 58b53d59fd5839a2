import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../auth.js';
import { readCookie } from '../cookies.js';
import { secretsEqual } from '../credentials.js';

/**
 * CSRF token of a console session: an HMAC of the session cookie's value keyed with
 * the admin token. Nothing to store; it changes with each sign-in and dies with the
 * session (or a token rotation). The cookie is HttpOnly and SameSite=Strict already;
 * this is the second lock the spec asks for, plus an Origin check.
 */
export function csrfToken(adminToken: string, session: string): string {
  return createHmac('sha256', adminToken).update(`hookgate console csrf v1 ${session}`).digest('base64url');
}

export function sessionValue(req: FastifyRequest): string | undefined {
  return readCookie(req.headers.cookie, SESSION_COOKIE);
}

/** Why a POST is refused, or undefined when it carries the session's token from this origin. */
export function csrfProblem(req: FastifyRequest, adminToken: string, given: unknown): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.host}`) return 'cross-origin request';
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request';
  const session = sessionValue(req);
  if (!session) return 'no session';
  if (typeof given !== 'string' || given === '') return 'missing CSRF token';
  if (!secretsEqual(given, csrfToken(adminToken, session))) return 'wrong CSRF token';
  return undefined;
}

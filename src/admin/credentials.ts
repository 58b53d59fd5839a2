import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two secrets of any length: both sides are hashed first,
 * so neither the comparison time nor an early length check tells how much matched.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it is. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S.*?)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * The dashboard's session cookie: an expiry and an HMAC of it keyed with the admin
 * token. The browser never holds the token itself; rotating the token ends every
 * session, and a stolen cookie stops working at its expiry.
 */
const VERSION = 'v1';
const LABEL = 'hookgate admin session';

function mac(token: string, expiresAt: number): string {
  return createHmac('sha256', token).update(`${LABEL} ${VERSION} ${expiresAt}`).digest('base64url');
}

export function issueSession(token: string, expiresAt: number): string {
  return `${VERSION}.${expiresAt}.${mac(token, expiresAt)}`;
}

export function sessionValid(token: string, value: string | undefined, now: number): boolean {
  if (!value) return false;
  const [version, exp, sig, ...rest] = value.split('.');
  if (version !== VERSION || !exp || !sig || rest.length > 0 || !/^\d+$/.test(exp)) return false;
  const expiresAt = Number(exp);
  if (!(expiresAt > now)) return false;
  return secretsEqual(sig, mac(token, expiresAt));
}

import type { OutgoingHttpHeaders } from 'node:http';

/**
 * RFC 9110 §7.6.1: headers that describe one connection, not the message. A proxy
 * must not pass them on, nor any header the `connection` header names.
 * `proxy-connection` and `http2-settings` are their non-standard and h2c cousins.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Headers the gateway sets itself on the way to the upstream: `host` is the upstream's,
 * `expect: 100-continue` was already answered to the caller by Node, and the forwarded
 * headers and the event id must not be spoofable by the caller.
 */
const REPLACED_ON_REQUEST = new Set([
  'host',
  'expect',
  'x-forwarded-proto',
  'x-forwarded-host',
  'hookgate-event-id',
]);

export const EVENT_ID_HEADER = 'hookgate-event-id';

/** End-to-end headers of a message as [lower-case name, value] pairs, repeated ones kept apart. */
export function endToEndHeaders(rawHeaders: readonly string[]): [string, string][] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
    for (const token of rawHeaders[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    out.push([name, rawHeaders[i + 1]!]);
  }
  return out;
}

/** Pairs grouped by name: a repeated header (`set-cookie`) goes out as separate lines again. */
export function groupHeaders(pairs: readonly [string, string][]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [prior, value];
  }
  return out;
}

/** The record's view: lower-case names, repeated headers joined with `,` (as for the request). */
export function joinHeaders(pairs: readonly [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) out[name] = name in out ? `${out[name]},${value}` : value;
  return out;
}

/**
 * Where the credential a source's verifier checks travels: the gateway's own key, not
 * the upstream's, so it is withheld from the upstream unless the source opts in with
 * `upstream.forwardCredentials`. Signatures (Stripe, HMAC, ...) are not credentials: they
 * prove the body, and the upstream may check them again.
 */
export interface Credential {
  header?: string;
  query?: string;
}

export function credentialOf(verify: { type: string; in?: string; name?: string }): Credential {
  if (verify.type === 'basic') return { header: 'authorization' };
  if (verify.type === 'api-key' && verify.name) {
    return verify.in === 'query' ? { query: verify.name } : { header: verify.name.toLowerCase() };
  }
  return {};
}

export interface ForwardedFor {
  /** The immediate peer's address, appended to `x-forwarded-for`. */
  remoteAddress: string;
  /** Scheme and host as the caller used them (honouring `server.trustProxy`). */
  protocol: string;
  host: string;
  eventId: string;
}

/**
 * What the upstream receives: the caller's end-to-end headers (but the `withheld`
 * one, the gateway's credential), `x-forwarded-for` with the peer appended (the
 * upstream decides whom to trust, as behind nginx), and
 * `x-forwarded-proto`/`-host`/`hookgate-event-id` set by the gateway.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  via: ForwardedFor,
  withheld?: string,
): OutgoingHttpHeaders {
  const kept: [string, string][] = [];
  const priorFor: string[] = [];
  for (const pair of endToEndHeaders(rawHeaders)) {
    if (pair[0] === 'x-forwarded-for') priorFor.push(pair[1]);
    else if (!REPLACED_ON_REQUEST.has(pair[0]) && pair[0] !== withheld) kept.push(pair);
  }
  const headers: OutgoingHttpHeaders = groupHeaders(kept);
  headers['x-forwarded-for'] = [...priorFor, via.remoteAddress].filter(Boolean).join(', ');
  headers['x-forwarded-proto'] = via.protocol;
  headers['x-forwarded-host'] = via.host;
  headers[EVENT_ID_HEADER] = via.eventId;
  return headers;
}

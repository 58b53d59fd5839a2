import type { FastifyRequest } from 'fastify';

/**
 * The URL the provider called, for URL-signing schemes (Twilio, Square):
 * `server.publicUrl` + path + query when set (behind a proxy that rewrites the host
 * or scheme), else rebuilt from the request — scheme and host honour `trustProxy`.
 */
export function publicUrl(req: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured.replace(/\/+$/, '') + req.url;
  return `${req.protocol}://${req.host}${req.url}`;
}

/** `domainName` in the record: the public host when configured, else the request's. */
export function domainName(req: FastifyRequest, configured: string | undefined): string {
  if (configured) return new URL(configured).host;
  return req.host;
}

/** Path and query string as received, split at the first `?`. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

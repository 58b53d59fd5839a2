/**
 * Twilio's SDK validators accept a signature computed over the URL with or without
 * its port (an explicit port removed; the scheme's default port added when there is
 * none), because Twilio's signing side has differed over time. The URL is handled as
 * text, never through `new URL()`: that would lower-case the host and re-encode the
 * path and query, and Twilio signs the URL exactly as configured.
 */
const URL_PARTS = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s;
const HOST_PORT = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/;
const DEFAULT_PORTS: Record<string, string> = { 'http://': '80', 'https://': '443' };

export function portVariants(url: string): string[] {
  const m = URL_PARTS.exec(url);
  if (!m) return [url];
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hp = HOST_PORT.exec(authority.slice(at + 1));
  if (!hp) return [url];
  const [, host = '', port] = hp;
  const variants = new Set([url, scheme + userinfo + host + rest]);
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];
  if (!port && defaultPort) variants.add(`${scheme}${userinfo}${host}:${defaultPort}${rest}`);
  return [...variants];
}

/**
 * The URL Twilio signed: the configured public URL (scheme, host, path) when the
 * gateway sits behind a proxy, followed by the query string the request arrived
 * with (Twilio adds `bodySHA256` to it per request).
 */
export function signedUrl(configured: string | undefined, requestUrl: string): string {
  if (!configured) return requestUrl;
  const q = requestUrl.indexOf('?');
  return q === -1 ? configured : configured + requestUrl.slice(q);
}

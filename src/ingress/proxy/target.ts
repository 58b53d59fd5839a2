import { normaliseSubPath } from './dot-segments.js';

/**
 * Where a proxied request goes: the upstream URL's path with the request's sub-path
 * appended (`/api/orders/42` under `path: /api/orders` → `<upstream>/42`), and the
 * upstream URL's own query followed by the request's. The raw, still-encoded path
 * is used, so `%2F` and friends reach the upstream as the caller wrote them; dot
 * segments are resolved first, and a sub-path that would climb out of the upstream's
 * path is not forwarded at all (see dot-segments.ts).
 */
export interface UpstreamTarget {
  readonly url: URL;
  /**
   * `path?query` for a request to `requestUrl` (raw path and query) on the source at
   * `routePath`; undefined when its dot segments would leave the base path.
   */
  pathFor(
    routePath: string,
    requestUrl: string,
    decodedWildcard?: string,
    withheldParam?: string,
  ): string | undefined;
}

export function upstreamTarget(upstreamUrl: string): UpstreamTarget {
  const url = new URL(upstreamUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  const baseQuery = url.search.slice(1);
  return {
    url,
    pathFor(routePath, requestUrl, decodedWildcard, withheldParam) {
      const q = requestUrl.indexOf('?');
      const path = q === -1 ? requestUrl : requestUrl.slice(0, q);
      let query = q === -1 ? '' : requestUrl.slice(q + 1);
      if (withheldParam !== undefined && query !== '') query = withoutParam(query, withheldParam);
      let suffix: string;
      if (path.startsWith(routePath)) suffix = path.slice(routePath.length);
      // The router matched a percent-encoded spelling of the route path: fall back on its
      // decoded wildcard, re-encoded.
      else suffix = decodedWildcard ? `/${encodeURI(decodedWildcard)}` : '';
      if (suffix !== '' && !suffix.startsWith('/')) suffix = `/${suffix}`;
      const inside = normaliseSubPath(suffix);
      if (inside === undefined) return undefined;
      const joined = basePath + inside || '/';
      const search = [baseQuery, query].filter(Boolean).join('&');
      return search ? `${joined}?${search}` : joined;
    },
  };
}

/**
 * The query without every `name=...` parameter (as URLSearchParams would read the
 * name: `+` is a space, percent-escapes decoded); the others are kept byte for byte.
 */
export function withoutParam(query: string, name: string): string {
  return query
    .split('&')
    .filter((part) => {
      const eq = part.indexOf('=');
      const raw = (eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' ');
      let decoded: string;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        decoded = raw;
      }
      return decoded !== name;
    })
    .join('&');
}

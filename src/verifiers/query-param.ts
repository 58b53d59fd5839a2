/**
 * One query parameter of a URL given as text. Only the query is parsed, so a URL that
 * `new URL()` would refuse or rewrite (relative, odd host) still yields its parameters.
 */
export function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1).split('#')[0]).get(name) ?? undefined;
}

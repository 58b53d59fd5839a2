/**
 * RFC 3986 §5.2.4 remove_dot_segments for the part of a proxied path below the
 * source's path, after decoding `%2e` (which §6.2.2.2 says is a dot), with that part's
 * root as a floor. `/a/../b` is `/b`; a `..` that would climb above the root (out of the
 * base path on the upstream) makes the path refused: `undefined`.
 *
 * Upstreams and proxies on the way differ in what else they take for a separator, so
 * the path is also refused when it would climb out under any of the common readings:
 * `%2F` and `\` (or `%5C`) as `/`, `;params` cut off a segment (Tomcat's `..;/`), and
 * empty segments merged away (nginx's `merge_slashes`: `//..` climbs).
 * What is forwarded is the RFC reading; `%2F` and other escapes stay as sent.
 */
export function normaliseSubPath(suffix: string): string | undefined {
  if (suffix === '') return suffix;
  // The usual path has no dot segment at all and no odd separator: nothing to do.
  if (!/[.\\;%]/.test(suffix)) return suffix;
  const rfc = resolve(suffix.split('/'), (segment) => segment);
  if (rfc === undefined) return undefined;
  const lenient = resolve(
    suffix.split(/\/|\\|%2f|%5c/i).filter((segment, i) => i === 0 || segment !== ''),
    (segment) => segment.split(';')[0]!,
  );
  return lenient === undefined ? undefined : rfc;
}

const DOT = /^(?:\.|%2e)$/i;
const DOT_DOT = /^(?:\.|%2e){2}$/i;

/** `segments` from splitting a path that starts with `/` (so the first is empty). */
function resolve(segments: string[], reading: (segment: string) => string): string | undefined {
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const read = reading(segment);
    const last = i === segments.length - 1;
    if (DOT.test(read)) {
      trailingSlash = last;
      continue;
    }
    if (DOT_DOT.test(read)) {
      if (out.length === 0) return undefined;
      out.pop();
      trailingSlash = last;
      continue;
    }
    out.push(segment);
    trailingSlash = false;
  }
  return `/${out.join('/')}${trailingSlash && out.length > 0 ? '/' : ''}`;
}

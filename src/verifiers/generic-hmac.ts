import type { z } from 'zod';
import { anyMatch, decodeDigest, signedData } from './hmac.js';
import type { hmacOptions } from './options.js';
import { checkTolerance } from './timestamp.js';
import { fail, ok, type Verifier } from './types.js';

type Options = z.infer<typeof hmacOptions>;

/** Above this a timestamp is taken as milliseconds: 1e11 seconds is the year 5138. */
const MILLISECONDS_FROM = 1e11;

/**
 * Generic HMAC for providers without a preset: the signature header (optionally after
 * a prefix such as `sha256=`), and a signed string built from a template over the raw
 * body and an optional timestamp header. Several signatures in the header (comma or
 * space separated, as when a sender rotates) are each tried. The tolerance applies on
 * both sides when there is a timestamp.
 */
export function genericHmac(options: Options): Verifier {
  const template = options.signedString ?? (options.timestampHeader ? '{timestamp}.{body}' : '{body}');
  const parts = template.split(/(\{timestamp\}|\{body\})/).filter((p) => p !== '');

  return {
    type: 'hmac',
    verify({ headers, rawBody, now }) {
      const header = headers[options.header];
      const timestamp = options.timestampHeader ? headers[options.timestampHeader]?.trim() : undefined;
      if (!header || (options.timestampHeader && !timestamp)) return fail('missing');
      const signedAt = timestamp === undefined ? undefined : toSeconds(timestamp);
      const candidates = signatures(header, options);
      if ((timestamp !== undefined && signedAt === undefined) || candidates.length === 0)
        return fail('malformed');
      const data = signedData(
        ...parts.map((p) => (p === '{body}' ? rawBody : p === '{timestamp}' ? (timestamp ?? '') : p)),
      );
      if (!anyMatch(options.algorithm, options.secrets, data, candidates)) return fail('mismatch');
      if (signedAt === undefined) return ok;
      const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: true });
      return late ? fail(late) : ok;
    },
  };
}

function signatures(header: string, { prefix, encoding, algorithm }: Options): Buffer[] {
  const out: Buffer[] = [];
  for (const token of header.split(/[\s,]+/)) {
    if (!token.startsWith(prefix)) continue;
    const sig = decodeDigest(token.slice(prefix.length), encoding, algorithm);
    if (sig) out.push(sig);
  }
  return out;
}

function toSeconds(value: string): number | undefined {
  if (!/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= MILLISECONDS_FROM ? n / 1000 : n;
}

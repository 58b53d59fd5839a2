import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { firstHeader } from './event-id.js';
import { anyMatch, decodeDigest, safeEqual, signedData } from './hmac.js';
import type { twilioOptions } from './options.js';
import { queryParam } from './query-param.js';
import { portVariants, signedUrl } from './twilio-url.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 keyed with the auth token over the
 * URL followed by every POST parameter sorted by name (`name` + `value`; a repeated
 * name's values de-duplicated and sorted). A JSON body is not a parameter list: Twilio
 * then puts `bodySHA256=<hex sha256(body)>` in the signed URL, and the body must hash
 * to it. Without that parameter the body is always read as form parameters, so no
 * body bytes go unsigned. No timestamp.
 */
export function twilio(options: z.infer<typeof twilioOptions>): Verifier {
  return {
    type: 'twilio',
    verify({ headers, rawBody, url }) {
      const header = headers['x-twilio-signature']?.trim();
      if (!header) return fail('missing');
      const sig = decodeDigest(header, 'base64', 'sha1');
      if (!sig) return fail('malformed');
      const target = signedUrl(options.url, url);
      const bodyHash = queryParam(target, 'bodySHA256');
      const params = bodyHash === undefined ? formParams(rawBody) : '';
      let matched = false;
      for (const variant of portVariants(target))
        matched = anyMatch('sha1', options.secrets, signedData(variant, params), [sig]) || matched;
      if (!matched) return fail('mismatch');
      if (bodyHash !== undefined && !bodyHashMatches(rawBody, bodyHash)) return fail('mismatch');
      return ok;
    },
    dedupeKey: ({ headers }) => firstHeader(headers, 'i-twilio-idempotency-token'),
  };
}

function formParams(rawBody: Buffer): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  let out = '';
  for (const name of [...byName.keys()].sort())
    for (const value of [...byName.get(name)!].sort()) out += name + value;
  return out;
}

function bodyHashMatches(rawBody: Buffer, hex: string): boolean {
  const expected = createHash('sha256').update(rawBody).digest();
  return /^[0-9a-fA-F]{64}$/.test(hex) && safeEqual(expected, Buffer.from(hex, 'hex'));
}

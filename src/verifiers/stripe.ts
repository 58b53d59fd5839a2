import type { z } from 'zod';
import { bodyField } from './event-id.js';
import { anyMatch, decodeDigest, signedData } from './hmac.js';
import type { stripeOptions } from './options.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...][,v0=...]`, HMAC-SHA256 over
 * `<t>.<raw body>` keyed with the whole `whsec_...` string. Only v1 counts; v0 is a
 * test-mode signature. Like stripe-node, only the past side of the tolerance is
 * checked, and tolerance 0 disables the time check.
 */
export function stripe(options: z.infer<typeof stripeOptions>): Verifier {
  return {
    type: 'stripe',
    verify({ headers, rawBody, now }) {
      const header = headers['stripe-signature'];
      if (!header) return fail('missing');
      let timestamp: string | undefined;
      const candidates: Buffer[] = [];
      for (const part of header.split(',')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        const key = part.slice(0, eq).trim();
        const value = part.slice(eq + 1).trim();
        if (key === 't') timestamp = value;
        else if (key === 'v1') {
          const sig = decodeDigest(value, 'hex', 'sha256');
          if (sig) candidates.push(sig);
        }
      }
      const signedAt = parseUnixSeconds(timestamp);
      if (signedAt === undefined || candidates.length === 0) return fail('malformed');
      if (!anyMatch('sha256', options.secrets, signedData(timestamp!.trim(), '.', rawBody), candidates))
        return fail('mismatch');
      const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: false });
      return late ? fail(late) : ok;
    },
    dedupeKey: ({ body }) => bodyField(body, 'id'),
  };
}

import { anyMatch, decodeSignature, signedData } from './hmac.js';
import type { stripeOptions } from './options.js';
import { fail, ok, type Verifier } from './types.js';
import type { z } from 'zod';

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
          const sig = decodeSignature(value, 'hex');
          if (sig) candidates.push(sig);
        }
      }
      if (!timestamp || !/^\d+$/.test(timestamp) || candidates.length === 0) return fail('malformed');
      if (!anyMatch('sha256', options.secrets, signedData(timestamp, '.', rawBody), candidates))
        return fail('mismatch');
      if (options.tolerance > 0 && Math.floor(now / 1000) - Number(timestamp) > options.tolerance / 1000) {
        return fail('expired');
      }
      return ok;
    },
    dedupeKey({ body }) {
      const id = (body as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' ? id : undefined;
    },
  };
}

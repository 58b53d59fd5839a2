import type { z } from 'zod';
import { bodyField } from './event-id.js';
import type { stripeOptions } from './options.js';
import { verifyTimestampedHeader, type TimestampedScheme } from './timestamped-header.js';
import type { Verifier } from './types.js';

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...][,v0=...]`, HMAC-SHA256 over
 * `<t>.<raw body>` keyed with the whole `whsec_...` string. Only v1 counts; v0 is a
 * test-mode signature. Like stripe-node, tolerance 0 disables the time check.
 */
const scheme: TimestampedScheme = {
  header: 'stripe-signature',
  separator: ',',
  timestampKey: 't',
  signatureKey: 'v1',
  joiner: '.',
};

export function stripe(options: z.infer<typeof stripeOptions>): Verifier {
  return {
    type: 'stripe',
    verify: (input) => verifyTimestampedHeader(scheme, options, input),
    dedupeKey: ({ body }) => bodyField(body, 'id'),
    eventType: ({ body }) => bodyField(body, 'type'),
  };
}

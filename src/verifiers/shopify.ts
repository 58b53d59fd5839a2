import type { z } from 'zod';
import { firstHeader } from './event-id.js';
import { anyMatch, decodeDigest } from './hmac.js';
import type { shopifyOptions } from './options.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 over the raw body keyed with
 * the app's client secret (events webhooks send `shopify-hmac-sha256`). No signed
 * timestamp (`X-Shopify-Triggered-At` is not covered by the HMAC, so checking it would
 * stop nothing); replays are caught by deduping on the event id.
 */
export function shopify(options: z.infer<typeof shopifyOptions>): Verifier {
  return {
    type: 'shopify',
    verify({ headers, rawBody }) {
      const header = firstHeader(headers, 'x-shopify-hmac-sha256', 'shopify-hmac-sha256');
      if (!header) return fail('missing');
      const sig = decodeDigest(header, 'base64', 'sha256');
      if (!sig) return fail('malformed');
      return anyMatch('sha256', options.secrets, rawBody, [sig]) ? ok : fail('mismatch');
    },
    // shopify.dev "ignore duplicate webhooks": the event id is shared by every
    // subscription's copy of one event; older API versions only send the webhook id.
    dedupeKey: ({ headers }) => firstHeader(headers, 'x-shopify-event-id', 'x-shopify-webhook-id'),
    eventType: ({ headers }) => firstHeader(headers, 'x-shopify-topic'),
  };
}

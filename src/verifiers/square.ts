import type { z } from 'zod';
import { bodyField } from './event-id.js';
import { anyMatch, decodeDigest, signedData } from './hmac.js';
import type { squareOptions } from './options.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 over the notification
 * URL exactly as registered followed by the raw body. Behind a proxy the URL the
 * gateway sees can differ from the registered one, hence `notificationUrl`. The legacy
 * SHA-1 `x-square-signature` is not accepted. No timestamp.
 */
export function square(options: z.infer<typeof squareOptions>): Verifier {
  return {
    type: 'square',
    verify({ headers, rawBody, url }) {
      const header = headers['x-square-hmacsha256-signature']?.trim();
      if (!header) return fail('missing');
      const sig = decodeDigest(header, 'base64', 'sha256');
      if (!sig) return fail('malformed');
      const data = signedData(options.notificationUrl ?? url, rawBody);
      return anyMatch('sha256', options.secrets, data, [sig]) ? ok : fail('mismatch');
    },
    dedupeKey: ({ body }) => bodyField(body, 'event_id'),
    eventType: ({ body }) => bodyField(body, 'type'),
  };
}

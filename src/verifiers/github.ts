import type { z } from 'zod';
import { bodyField, firstHeader, formPayload } from './event-id.js';
import { anyMatch, decodeDigest } from './hmac.js';
import type { githubOptions } from './options.js';
import { fail, ok, type Verifier } from './types.js';

const PREFIX = 'sha256=';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body. The
 * legacy SHA-1 `X-Hub-Signature` is not accepted on its own: GitHub always sends the
 * SHA-256 header, so a request with only SHA-1 is a downgrade attempt. No timestamp:
 * replays are caught by deduping on `X-GitHub-Delivery`.
 */
export function github(options: z.infer<typeof githubOptions>): Verifier {
  return {
    type: 'github',
    verify({ headers, rawBody }) {
      const header = headers['x-hub-signature-256']?.trim();
      if (!header) return fail('missing');
      const sig = header.startsWith(PREFIX)
        ? decodeDigest(header.slice(PREFIX.length), 'hex', 'sha256')
        : undefined;
      if (!sig) return fail('malformed');
      return anyMatch('sha256', options.secrets, rawBody, [sig]) ? ok : fail('mismatch');
    },
    dedupeKey: ({ headers }) => firstHeader(headers, 'x-github-delivery'),
    // `pull_request.opened`: the event alone would lump every action of it together.
    eventType: ({ headers, body }) => {
      const event = firstHeader(headers, 'x-github-event');
      if (!event) return undefined;
      const action = bodyField(body, 'action') ?? bodyField(formPayload(body), 'action');
      return action ? `${event}.${action}` : event;
    },
  };
}

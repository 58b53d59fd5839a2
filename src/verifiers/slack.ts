import type { z } from 'zod';
import { bodyField, formPayload, member } from './event-id.js';
import { anyMatch, decodeDigest, signedData } from './hmac.js';
import type { slackOptions } from './options.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 over `v0:<X-Slack-Request-Timestamp>:<raw body>`.
 * Only version `v0` exists; anything else is malformed. Slack's own SDKs (python
 * slack_sdk) refuse a timestamp more than five minutes away on either side.
 */
export function slack(options: z.infer<typeof slackOptions>): Verifier {
  return {
    type: 'slack',
    verify({ headers, rawBody, now }) {
      const header = headers['x-slack-signature'];
      const timestamp = headers['x-slack-request-timestamp'];
      if (!header || !timestamp) return fail('missing');
      const signedAt = parseUnixSeconds(timestamp);
      const eq = header.indexOf('=');
      const version = header.slice(0, eq).trim();
      const sig = eq === -1 ? undefined : decodeDigest(header.slice(eq + 1), 'hex', 'sha256');
      if (signedAt === undefined || version !== 'v0' || !sig) return fail('malformed');
      const data = signedData('v0:', timestamp.trim(), ':', rawBody);
      if (!anyMatch('sha256', options.secrets, data, [sig])) return fail('mismatch');
      const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: true });
      return late ? fail(late) : ok;
    },
    dedupeKey: ({ body }) => bodyField(body, 'event_id'),
    // Events API: the inner event's type (`app_mention`), not the wrapper's
    // `event_callback`; other JSON bodies (`app_rate_limited`) and interactivity's
    // form-posted `payload` (`block_actions`) name theirs at the top.
    eventType: ({ body }) =>
      bodyField(member(body, 'event'), 'type') ??
      bodyField(body, 'type') ??
      bodyField(formPayload(body), 'type'),
  };
}

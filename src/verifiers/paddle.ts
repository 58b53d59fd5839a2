import type { z } from 'zod';
import { bodyField } from './event-id.js';
import { anyMatch, decodeDigest, signedData } from './hmac.js';
import type { paddleOptions } from './options.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=...]`, HMAC-SHA256 over
 * `<ts>:<raw body>`. Several h1 appear while Paddle rotates a secret; any may match.
 * Unknown schemes (h2...) are ignored. Like paddle-node-sdk, only the past side of
 * the (short, 5 s by default) tolerance is checked.
 */
export function paddle(options: z.infer<typeof paddleOptions>): Verifier {
  return {
    type: 'paddle',
    verify({ headers, rawBody, now }) {
      const header = headers['paddle-signature'];
      if (!header) return fail('missing');
      let timestamp: string | undefined;
      const candidates: Buffer[] = [];
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        const key = part.slice(0, eq).trim();
        const value = part.slice(eq + 1).trim();
        if (key === 'ts') timestamp = value;
        else if (key === 'h1') {
          const sig = decodeDigest(value, 'hex', 'sha256');
          if (sig) candidates.push(sig);
        }
      }
      const signedAt = parseUnixSeconds(timestamp);
      if (signedAt === undefined || candidates.length === 0) return fail('malformed');
      if (!anyMatch('sha256', options.secrets, signedData(timestamp!, ':', rawBody), candidates))
        return fail('mismatch');
      const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: false });
      return late ? fail(late) : ok;
    },
    dedupeKey: ({ body }) => bodyField(body, 'event_id'),
  };
}

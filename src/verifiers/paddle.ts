import type { z } from 'zod';
import { bodyField } from './event-id.js';
import type { paddleOptions } from './options.js';
import { verifyTimestampedHeader, type TimestampedScheme } from './timestamped-header.js';
import type { Verifier } from './types.js';

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=...]`, HMAC-SHA256 over
 * `<ts>:<raw body>`. Several h1 appear while Paddle rotates a secret; any may match.
 * Unknown schemes (h2...) are ignored. Like paddle-node-sdk, only the past side of
 * the (short, 5 s by default) tolerance is checked.
 */
const scheme: TimestampedScheme = {
  header: 'paddle-signature',
  separator: ';',
  timestampKey: 'ts',
  signatureKey: 'h1',
  joiner: ':',
};

export function paddle(options: z.infer<typeof paddleOptions>): Verifier {
  return {
    type: 'paddle',
    verify: (input) => verifyTimestampedHeader(scheme, options, input),
    dedupeKey: ({ body }) => bodyField(body, 'event_id'),
    eventType: ({ body }) => bodyField(body, 'event_type'),
  };
}

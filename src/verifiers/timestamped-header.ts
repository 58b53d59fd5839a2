import { anyMatch, decodeDigest, signedData } from './hmac.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';
import { fail, ok, type VerifyInput, type VerifyResult } from './types.js';

/**
 * Stripe and Paddle put a unix timestamp and one or more hex HMAC-SHA256 digests in
 * one header as `key=value` pairs (`t=…,v1=…` / `ts=…;h1=…`), signing
 * `<timestamp><joiner><raw body>`. Unknown keys (Stripe's test-mode v0, future
 * schemes) are ignored; several digests appear while a secret rotates. Both SDKs
 * check only the past side of the tolerance.
 */
export interface TimestampedScheme {
  header: string;
  separator: string;
  timestampKey: string;
  signatureKey: string;
  joiner: string;
}

export function verifyTimestampedHeader(
  scheme: TimestampedScheme,
  options: { secrets: readonly string[]; tolerance: number },
  { headers, rawBody, now }: VerifyInput,
): VerifyResult {
  const header = headers[scheme.header];
  if (!header) return fail('missing');
  let timestamp: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(scheme.separator)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === scheme.timestampKey) timestamp = value;
    else if (key === scheme.signatureKey) {
      const sig = decodeDigest(value, 'hex', 'sha256');
      if (sig) candidates.push(sig);
    }
  }
  const signedAt = parseUnixSeconds(timestamp);
  if (timestamp === undefined || signedAt === undefined || candidates.length === 0) return fail('malformed');
  if (!anyMatch('sha256', options.secrets, signedData(timestamp, scheme.joiner, rawBody), candidates)) {
    return fail('mismatch');
  }
  const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: false });
  return late ? fail(late) : ok;
}

import { verify as verifySignature, type KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { bodyField, firstHeader } from './event-id.js';
import { anyMatch, decodeDigest, decodeSignature, joinSigned, signedData } from './hmac.js';
import type { standardWebhooksOptions } from './options.js';
import { parseSigningKey } from './standard-webhooks-keys.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';
import { fail, ok, type Verifier, type VerifyResult } from './types.js';

const ED25519_SIGNATURE_LENGTH = 64;

/**
 * Standard Webhooks (and Svix, whose `svix-*` headers are the same scheme):
 * `webhook-signature` is a space-delimited list of `<version>,<base64>`; `v1` is
 * HMAC-SHA256 and `v1a` Ed25519, both over `<webhook-id>.<webhook-timestamp>.<raw body>`.
 * Other versions are skipped. The tolerance applies on both sides, as in the spec.
 */
export function standardWebhooks(options: z.infer<typeof standardWebhooksOptions>): Verifier {
  const hmacKeys: Buffer[] = [];
  const publicKeys: KeyObject[] = [];
  for (const secret of options.secrets) {
    const parsed = parseSigningKey(secret);
    // The config schema refuses bad keys first; this guards direct callers.
    if ('error' in parsed) throw new Error(`standard-webhooks secret ${parsed.error}`);
    if (parsed.scheme === 'v1') hmacKeys.push(parsed.key);
    else publicKeys.push(parsed.key);
  }

  return {
    type: 'standard-webhooks',
    verify({ headers, rawBody, now }): VerifyResult {
      // One header family, never a mix: a Svix request is read only from svix-*.
      const prefix = headers['webhook-signature'] !== undefined ? 'webhook' : 'svix';
      const id = headers[`${prefix}-id`];
      const timestamp = headers[`${prefix}-timestamp`];
      const signature = headers[`${prefix}-signature`];
      if (!id || !timestamp || !signature) return fail('missing');
      const signedAt = parseUnixSeconds(timestamp);
      const { v1, v1a } = parseSignatures(signature);
      if (signedAt === undefined || v1.length + v1a.length === 0) return fail('malformed');
      const data = signedData(id, '.', timestamp.trim(), '.', rawBody);
      const viaHmac = anyMatch('sha256', hmacKeys, data, v1);
      const viaEd25519 = v1a.length > 0 && anyEd25519Match(publicKeys, joinSigned(data), v1a);
      if (!viaHmac && !viaEd25519) return fail('mismatch');
      const late = checkTolerance({ signedAt, now, tolerance: options.tolerance, future: true });
      return late ? fail(late) : ok;
    },
    dedupeKey: ({ headers }) => firstHeader(headers, 'webhook-id', 'svix-id'),
    // The spec's payload structure: `{ type, timestamp, data }`.
    eventType: ({ body }) => bodyField(body, 'type'),
  };
}

function parseSignatures(header: string): { v1: Buffer[]; v1a: Buffer[] } {
  const v1: Buffer[] = [];
  const v1a: Buffer[] = [];
  for (const entry of header.trim().split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma === -1) continue;
    const version = entry.slice(0, comma);
    const value = entry.slice(comma + 1);
    if (version === 'v1') {
      const sig = decodeDigest(value, 'base64', 'sha256');
      if (sig) v1.push(sig);
    } else if (version === 'v1a') {
      const sig = decodeSignature(value, 'base64');
      if (sig?.length === ED25519_SIGNATURE_LENGTH) v1a.push(sig);
    }
  }
  return { v1, v1a };
}

/** Ed25519 counterpart of anyMatch: every key against every v1a signature, no early exit. */
function anyEd25519Match(keys: readonly KeyObject[], data: Buffer, signatures: readonly Buffer[]): boolean {
  let matched = false;
  for (const key of keys)
    for (const sig of signatures) matched = verifySignature(null, data, key, sig) || matched;
  return matched;
}

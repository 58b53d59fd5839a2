import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks secrets: `whsec_<base64>` (or bare base64, as the SDKs accept) is
 * a symmetric key for `v1` (HMAC-SHA256); `whpk_<base64>` is an Ed25519 public key
 * for `v1a`. The key is the base64-decoded bytes, never the text.
 */
export type SigningKey = { scheme: 'v1'; key: Buffer } | { scheme: 'v1a'; key: KeyObject };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const ED25519_PUBLIC_KEY_LENGTH = 32;

export function parseSigningKey(secret: string): SigningKey | { error: string } {
  if (secret.startsWith('whsk_'))
    return { error: 'is an Ed25519 signing (private) key; configure its public key (whpk_...)' };
  if (secret.startsWith('whpk_')) {
    const raw = decode(secret.slice('whpk_'.length));
    if (raw?.length !== ED25519_PUBLIC_KEY_LENGTH)
      return { error: 'is not a whpk_ Ed25519 public key (32 bytes, base64)' };
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    return { scheme: 'v1a', key };
  }
  const key = decode(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  return key ? { scheme: 'v1', key } : { error: 'is not a whsec_ secret (whsec_ followed by base64)' };
}

function decode(b64: string): Buffer | undefined {
  if (!BASE64.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

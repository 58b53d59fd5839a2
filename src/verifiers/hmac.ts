import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The one HMAC building block every signing scheme is a preset over (as in Convoy):
 * compute a digest, then compare candidates in constant time.
 */
export type Algorithm = 'sha1' | 'sha256' | 'sha512';
export type Encoding = 'hex' | 'base64';

const DIGEST_LENGTH: Record<Algorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** What is signed: one string or buffer, or the parts of one (signedData), fed in order. */
export type Signed = Buffer | string | SignedData;

/** Parts of a signed string, hashed one after another: the body is not copied to join them. */
export class SignedData {
  constructor(readonly parts: readonly (string | Buffer)[]) {}
}

export function hmac(algorithm: Algorithm, key: string | Buffer, data: Signed): Buffer {
  const h = createHmac(algorithm, key);
  if (data instanceof SignedData) for (const part of data.parts) h.update(part);
  else h.update(data);
  return h.digest();
}

/** Constant-time equality of two byte strings (length is not secret: a digest's length is public). */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Decodes a signature as sent. Undefined when it is not valid in that encoding, so a
 * malformed header is told apart from a wrong one.
 */
export function decodeSignature(value: string, encoding: Encoding): Buffer | undefined {
  const v = value.trim();
  if (encoding === 'hex')
    return /^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0 ? Buffer.from(v, 'hex') : undefined;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) ? Buffer.from(v, 'base64') : undefined;
}

/**
 * A signature that can be a digest of `algorithm`: decodable and of the digest's length.
 * Anything else cannot match under any secret, so it is malformed rather than wrong.
 */
export function decodeDigest(value: string, encoding: Encoding, algorithm: Algorithm): Buffer | undefined {
  const sig = decodeSignature(value, encoding);
  return sig?.length === DIGEST_LENGTH[algorithm] ? sig : undefined;
}

/**
 * True when any candidate signature matches the HMAC of `data` under any secret.
 * Every pair is compared (no early exit on the first secret) so timing does not tell
 * which secret of a rotation matched.
 */
export function anyMatch(
  algorithm: Algorithm,
  secrets: readonly (string | Buffer)[],
  data: Signed,
  candidates: readonly Buffer[],
): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(algorithm, secret, data);
    for (const c of candidates) matched = safeEqual(expected, c) || matched;
  }
  return matched;
}

/** A signed string made of parts (strings as UTF-8), hashed without joining them. */
export function signedData(...parts: (string | Buffer)[]): SignedData {
  return new SignedData(parts);
}

/** The parts joined, for what cannot take them one by one (an Ed25519 verify). */
export function joinSigned(data: SignedData): Buffer {
  return Buffer.concat(data.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/**
 * Per-process key for comparing plain secrets (passwords, API keys): both sides are
 * HMAC'd first, so the compare is constant-time and leaks not even the secret's length.
 */
const blindingKey = randomBytes(32);

/** True when `value` equals any of `secrets`; every secret is compared, none short-circuits. */
export function equalsAnySecret(value: string, secrets: readonly string[]): boolean {
  const given = hmac('sha256', blindingKey, value);
  let matched = false;
  for (const secret of secrets) matched = safeEqual(hmac('sha256', blindingKey, secret), given) || matched;
  return matched;
}

import { readFileSync } from 'node:fs';

/**
 * The providers' SDK test vectors, vendored in ./vectors (origin of each in its README.md)
 * so a plain clone tests them. Fields vary per provider; each adapter in vectors.test.ts
 * reads the ones it knows.
 */
export interface Vector {
  name: string;
  expected_valid?: boolean;
  secret?: string;
  fallback_secrets?: string[];
  secret_alt_unprefixed?: string;
  auth_token?: string;
  signature_key?: string;
  notification_url?: string;
  url?: string;
  params?: Record<string, string | string[]>;
  body?: string;
  content_type?: string;
  headers?: Record<string, string>;
  headers_list?: string[];
  timestamp?: number;
  now?: number | string;
  tolerance?: number;
  scheme?: string;
  private_seed_b64?: string;
  derived_public_key_b64?: string;
  body_sha256_hex?: string;
}

export interface VectorFile {
  provider: string;
  spec: Record<string, unknown>;
  vectors: Vector[];
  hmac_primitive_vectors?: { secret: string; cases: { message: string; hex: string }[] };
}

export const vectorsDir = new URL('./vectors/', import.meta.url);

export function loadVectors(file: string): VectorFile {
  return JSON.parse(readFileSync(new URL(`${file}.json`, vectorsDir), 'utf8')) as VectorFile;
}

export function lowerCaseHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The clock a vector was made for, in ms. A vector without `now` but with a
 * `timestamp` was signed "just now"; a `now` that is prose ("real current time") is
 * the real clock.
 */
export function clockOf(v: Vector): number {
  if (typeof v.now === 'number') return v.now * 1000;
  if (typeof v.now === 'string' || v.timestamp === undefined) return Date.now();
  return v.timestamp * 1000;
}

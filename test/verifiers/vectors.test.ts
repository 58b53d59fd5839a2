import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createVerifier, type FailureReason, type VerifyInput } from '../../src/verifiers/index.js';
import { hmac } from '../../src/verifiers/hmac.js';
import { verifyOptions } from '../../src/verifiers/options.js';
import { clockOf, loadVectors, lowerCaseHeaders, vectorsDir, type Vector } from './vector-files.js';

/**
 * Every vector of every provider with a preset, asserted against `expected_valid`;
 * invalid ones also against the reason this gateway reports (logs and metrics rely
 * on it telling a forgery from a stale or garbled request).
 */
interface Case {
  label: string;
  options: unknown;
  input: VerifyInput;
  valid: boolean;
  reason?: FailureReason;
}

const reasons: Record<string, Record<string, FailureReason>> = {
  stripe: {
    dotnet_fixture_outdated: 'expired',
    dotnet_fixture_body_modified: 'mismatch',
    dotnet_header_missing_t: 'malformed',
    dotnet_malformed_header_0: 'malformed',
    dotnet_malformed_header_1: 'malformed',
    dotnet_malformed_header_2: 'malformed',
    dotnet_malformed_header_3: 'malformed',
    dotnet_malformed_header_4: 'malformed',
    dotnet_malformed_header_5: 'malformed',
  },
  slack: { slack_docs_body_modified: 'mismatch', slack_docs_expired: 'expired' },
  github: {
    octokit_bad_hex: 'malformed',
    octokit_garbage_sig: 'malformed',
    octokit_wrong_secret: 'mismatch',
    octokit_fallback_all_wrong: 'mismatch',
  },
  shopify: { shopify_api_js_fake_hmac: 'malformed' },
  standard_webhooks: {
    one_char_changed: 'mismatch',
    garbage_sig: 'malformed',
    empty_v1: 'malformed',
    too_old: 'expired',
    too_new: 'future',
    bad_timestamp_string: 'malformed',
  },
  twilio: {
    wrong_sig: 'malformed',
    body_without_hash_param: 'mismatch',
    csharp_mixed_case_host_lowercase_sig: 'mismatch',
  },
  paddle: {
    wrong_secret: 'mismatch',
    wrong_ts: 'mismatch',
    body_whitespace_changed: 'mismatch',
    at_6s: 'expired',
    days_later: 'expired',
    malformed_headers: 'malformed',
  },
  square: {
    url_mismatch: 'mismatch',
    wrong_key: 'mismatch',
    wrong_sig: 'malformed',
    body_changed: 'mismatch',
  },
};

const input = (v: Vector, over: Partial<VerifyInput> = {}): VerifyInput => ({
  rawBody: Buffer.from(v.body ?? '', 'utf8'),
  headers: lowerCaseHeaders(v.headers),
  method: 'POST',
  url: 'https://hooks.example.com/hooks/test',
  now: clockOf(v),
  ...over,
});

const one = (v: Vector, options: unknown, over: Partial<VerifyInput> = {}, suffix = ''): Case => ({
  label: v.name + suffix,
  options,
  input: input(v, over),
  valid: v.expected_valid === true,
});

/** Twilio vectors give POST parameters, not bytes: encode them as Twilio does (a form body). */
function twilioBody(v: Vector): Buffer {
  if (v.body !== undefined) return Buffer.from(v.body, 'utf8');
  const form = new URLSearchParams();
  for (const [k, value] of Object.entries(v.params ?? {}))
    for (const item of Array.isArray(value) ? value : [value]) form.append(k, item);
  return Buffer.from(form.toString(), 'utf8');
}

const adapters: Record<string, (v: Vector) => Case[]> = {
  stripe: (v) => [
    one(v, {
      type: 'stripe',
      secrets: [v.secret],
      ...(v.tolerance ? { tolerance: v.tolerance * 1000 } : {}),
    }),
  ],
  slack: (v) => [one(v, { type: 'slack', secrets: [v.secret] })],
  github: (v) => [one(v, { type: 'github', secrets: [v.secret, ...(v.fallback_secrets ?? [])] })],
  shopify: (v) => [one(v, { type: 'shopify', secrets: [v.secret] })],
  standard_webhooks: (v) => {
    if (v.scheme?.startsWith('v1a'))
      return [one(v, { type: 'standard-webhooks', secrets: [`whpk_${v.derived_public_key_b64}`] })];
    const cases = [one(v, { type: 'standard-webhooks', secrets: [v.secret] })];
    if (v.secret_alt_unprefixed)
      cases.push(
        one(v, { type: 'standard-webhooks', secrets: [v.secret_alt_unprefixed] }, {}, ' (unprefixed secret)'),
      );
    // The same request with Svix's header names.
    const svixHeaders = Object.fromEntries(
      Object.entries(lowerCaseHeaders(v.headers)).map(([k, value]) => [
        k.replace(/^webhook-/, 'svix-'),
        value,
      ]),
    );
    cases.push(
      one(v, { type: 'standard-webhooks', secrets: [v.secret] }, { headers: svixHeaders }, ' (svix headers)'),
    );
    return cases;
  },
  twilio: (v) => {
    const over = {
      rawBody: twilioBody(v),
      url: v.url!,
      headers: { ...lowerCaseHeaders(v.headers), 'content-type': 'application/x-www-form-urlencoded' },
    };
    return [one(v, { type: 'twilio', secrets: [v.auth_token] }, over)];
  },
  paddle: (v) => {
    const options = { type: 'paddle', secrets: [v.secret] };
    if (!v.headers_list) return [one(v, options)];
    return v.headers_list.map((h, i) => ({
      ...one(v, options, { headers: { 'paddle-signature': h } }, ` #${i}`),
      valid: false,
    }));
  },
  square: (v) => [
    one(v, { type: 'square', secrets: [v.signature_key] }, { url: v.notification_url! }, ' (request URL)'),
    // notificationUrl wins over the URL the gateway saw (a proxy rewrote it).
    one(
      v,
      { type: 'square', secrets: [v.signature_key], notificationUrl: v.notification_url },
      { url: 'http://10.0.0.7:8080/hooks/square' },
      ' (notificationUrl)',
    ),
  ],
};

t.test('the vectors are inside the repository, so a plain clone runs them', async (t) => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const dir = fileURLToPath(vectorsDir);
  t.ok(existsSync(dir), dir);
  const inside = relative(repo, dir);
  t.notOk(inside.startsWith('..') || isAbsolute(inside), `${dir} is under ${repo}`);
  t.ok(existsSync(new URL('README.md', vectorsDir)), 'their origin is written down beside them');
});

for (const [file, adapt] of Object.entries(adapters)) {
  t.test(`${file} vectors`, async (t) => {
    const { vectors } = loadVectors(file);
    t.ok(vectors.length > 0, 'has vectors');
    const expectedReasons = reasons[file] ?? {};
    for (const name of Object.keys(expectedReasons))
      t.ok(
        vectors.some((v) => v.name === name),
        `reason table names an existing vector: ${name}`,
      );
    for (const v of vectors) {
      for (const c of adapt(v)) {
        const result = createVerifier(verifyOptions.parse(c.options)).verify(c.input);
        t.equal(result.ok, c.valid, `${c.label}: ${c.valid ? 'valid' : 'invalid'}`);
        const reason = expectedReasons[v.name];
        if (!result.ok && reason) t.equal(result.reason, reason, `${c.label}: reason`);
      }
    }
  });
}

t.test('stripe HMAC primitive vectors check the building block', async (t) => {
  const primitive = loadVectors('stripe').hmac_primitive_vectors!;
  for (const c of primitive.cases)
    t.equal(hmac('sha256', primitive.secret, c.message).toString('hex'), c.hex, JSON.stringify(c.message));
});

t.test('the v1a vector’s public key is the one its seed derives', async (t) => {
  const v = loadVectors('standard_webhooks').vectors.find((x) => x.scheme?.startsWith('v1a'))!;
  // PKCS#8 wrapper for a raw 32-byte Ed25519 seed (RFC 8410).
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(v.private_seed_b64!, 'base64'),
  ]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
    format: 'jwk',
  });
  t.equal(Buffer.from(jwk.x!, 'base64url').toString('base64'), v.derived_public_key_b64);
});

t.test('twilio body_sha256 vector: the body hashes to its bodySHA256', async (t) => {
  const v = loadVectors('twilio').vectors.find((x) => x.name === 'body_sha256')!;
  const { createHash } = await import('node:crypto');
  t.equal(createHash('sha256').update(v.body!).digest('hex'), v.body_sha256_hex);
});

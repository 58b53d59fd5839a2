import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { verifyOptions } from '../../src/verifiers/options.js';

/** Problems a `verify:` block yields in a whole config, as `config check` prints them. */
function problems(verify: string): string[] {
  try {
    parseConfig(`sources:\n  s:\n    verify: ${verify}\n`, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

t.test('defaults are the providers’ SDK defaults', async (t) => {
  const secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'];
  const tolerance = (type: string) =>
    (verifyOptions.parse({ type, secrets }) as { tolerance: number }).tolerance;
  t.equal(tolerance('stripe'), 300_000);
  t.equal(tolerance('slack'), 300_000);
  t.equal(tolerance('standard-webhooks'), 300_000);
  t.equal(tolerance('paddle'), 5_000);
  const h = verifyOptions.parse({ type: 'hmac', secrets: ['x'], header: 'X-Sig' });
  t.match(h, { header: 'x-sig', algorithm: 'sha256', encoding: 'hex', prefix: '' });
  t.match(verifyOptions.parse({ type: 'api-key', secrets: ['x'] }), { in: 'header', name: 'x-api-key' });
});

t.test('a valid verify block has no problems', async (t) => {
  t.same(problems('{ type: standard-webhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] }'), []);
  t.same(problems('{ type: twilio, secrets: [tok], url: "https://h.example.com/hooks/twilio" }'), []);
});

t.test('standard-webhooks keys are checked at start-up', async (t) => {
  t.match(problems('{ type: standard-webhooks, secrets: ["whsec_not base64!"] }'), [
    /^sources\.s\.verify\.secrets\.0: .*whsec_/,
  ]);
  t.match(problems('{ type: standard-webhooks, secrets: [ok, "whsk_AAAA"] }'), [
    /^sources\.s\.verify\.secrets\.1: .*public key/,
  ]);
  t.match(problems('{ type: standard-webhooks, secrets: ["whpk_AAAA"] }'), [/secrets\.0: .*32 bytes/]);
});

t.test('an empty secret (unset variable) is refused', async (t) => {
  t.match(problems('{ type: github, secrets: [""] }'), [/secrets\.0: is empty/]);
  t.match(problems('{ type: stripe, secrets: [] }'), [/secrets: needs at least one secret/]);
});

t.test('basic secrets are user:password', async (t) => {
  t.match(problems('{ type: basic, secrets: ["alice"] }'), [/secrets\.0: must be user:password/]);
});

t.test('hmac templates never leave the body or the timestamp unsigned', async (t) => {
  t.match(problems('{ type: hmac, secrets: [k], header: x, signedString: "{timestamp}" }'), [
    /signedString: must contain \{body\}/,
    /signedString: uses \{timestamp\} but no timestampHeader/,
  ]);
  t.match(
    problems('{ type: hmac, secrets: [k], header: x, timestampHeader: x-ts, signedString: "{body}" }'),
    [/signedString: must contain \{timestamp\}/],
  );
});

t.test('twilio url has no query string (the request’s own is appended)', async (t) => {
  t.match(problems('{ type: twilio, secrets: [tok], url: "https://h.example.com/t?x=1" }'), [
    /url: must not have a query/,
  ]);
});

t.test('an unknown option is refused', async (t) => {
  t.match(problems('{ type: github, secrets: [k], tolerance: 5m }'), [/tolerance|Unrecognized/]);
});

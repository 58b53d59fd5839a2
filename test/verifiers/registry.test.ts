import t from 'tap';
import { createVerifier, verifierTypes } from '../../src/verifiers/index.js';
import { verifyOptions } from '../../src/verifiers/options.js';

const minimal: Record<string, Record<string, unknown>> = {
  stripe: { secrets: ['whsec_x'] },
  slack: { secrets: ['x'] },
  github: { secrets: ['x'] },
  shopify: { secrets: ['x'] },
  'standard-webhooks': { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
  twilio: { secrets: ['x'] },
  paddle: { secrets: ['x'] },
  square: { secrets: ['x'] },
  hmac: { secrets: ['x'], header: 'x-sig' },
  basic: { secrets: ['u:p'] },
  'api-key': { secrets: ['x'] },
  none: {},
};

/** The providers with an event id (what `dedupe: true` keys on); the others leave dedupe to config. */
const withDedupe = [
  'stripe',
  'slack',
  'github',
  'shopify',
  'standard-webhooks',
  'twilio',
  'paddle',
  'square',
];

t.test('every type of the config schema is registered and builds', async (t) => {
  const schemaTypes = verifyOptions.options.map((o) => o.shape.type.value).sort();
  t.same([...verifierTypes].sort(), schemaTypes);
  t.same(Object.keys(minimal).sort(), schemaTypes);
  for (const type of schemaTypes) {
    const v = createVerifier(verifyOptions.parse({ type, ...minimal[type] }));
    t.equal(v.type, type);
    t.equal(typeof v.dedupeKey === 'function', withDedupe.includes(type), `${type} dedupe key`);
  }
});

t.test('a request with no credentials never passes a signing verifier', async (t) => {
  for (const type of verifierTypes.filter((x) => x !== 'none')) {
    const v = createVerifier(verifyOptions.parse({ type, ...minimal[type] }));
    const result = v.verify({
      rawBody: Buffer.from('{}'),
      headers: {},
      method: 'POST',
      url: 'https://h/x',
      now: 0,
    });
    t.same(result, { ok: false, reason: 'missing' }, type);
  }
});

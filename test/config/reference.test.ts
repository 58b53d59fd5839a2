import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { verifierTypes } from '../../src/verifiers/index.js';

const file = (name: string) => new URL(`../../config/${name}`, import.meta.url).pathname;

/** The problems `serve` would refuse the file with, in an empty environment. */
function problemsUnset(name: string): string[] {
  try {
    loadConfigFile(file(name), { env: {} });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

t.test('the example config is valid as shipped, once STRIPE_WEBHOOK_SECRET is set', async (t) => {
  const config = loadConfigFile(file('hookgate.example.yaml'), { env: { STRIPE_WEBHOOK_SECRET: 'whsec_x' } });
  t.ok(config.sources.stripe);
  t.same(problemsUnset('hookgate.example.yaml'), [
    'sources.stripe.verify.secrets.0: "whsec_change_me" is a placeholder, not a secret: set STRIPE_WEBHOOK_SECRET ' +
      '(only hookgate dev runs with placeholders, on a random secret)',
  ]);
  const dev = loadConfigFile(file('hookgate.example.yaml'), { env: {} }, { secrets: 'generate' });
  t.match(dev.sources.stripe?.verify, { secrets: [/^whsec_[0-9a-f]{48}$/] }, 'dev: a random secret');
});

t.test('the reference config is valid and shows every verifier and destination type', async (t) => {
  // Every secret's default is a placeholder: refused, by name, until its variable is set.
  const refused = problemsUnset('hookgate.reference.yaml');
  t.ok(refused.length >= verifierTypes.length, refused.join('\n'));
  for (const p of refused)
    t.match(p, /: "[^"]*change_?me[^"]*" is a placeholder, not a secret: set [A-Z_]+ /i);
  const config = loadConfigFile(file('hookgate.reference.yaml'), { env: {} }, { secrets: 'generate' });
  const verifiers = new Set(Object.values(config.sources).map((s) => s.verify.type));
  t.same([...verifiers].sort(), [...verifierTypes].sort(), 'one source per verifier type');
  const destinations = new Set(Object.values(config.destinations).map((d) => d.type));
  t.same([...destinations].sort(), ['eventbridge', 'http', 'sns', 'sqs']);
  t.ok(
    Object.values(config.sources).some((s) => s.mode === 'proxy'),
    'a proxy-mode source',
  );
});

t.test('the compose config ships no placeholder: it starts as is', async (t) => {
  t.same(problemsUnset('hookgate.compose.yaml'), []);
});

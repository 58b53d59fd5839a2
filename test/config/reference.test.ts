import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { verifierTypes } from '../../src/verifiers/index.js';

const file = (name: string) => new URL(`../../config/${name}`, import.meta.url).pathname;

t.test('the example config is valid as shipped', async (t) => {
  const config = loadConfigFile(file('hookgate.example.yaml'), { env: {} });
  t.ok(config.sources.stripe);
});

t.test('the reference config is valid and shows every verifier and destination type', async (t) => {
  const config = loadConfigFile(file('hookgate.reference.yaml'), { env: {} });
  const verifiers = new Set(Object.values(config.sources).map((s) => s.verify.type));
  t.same([...verifiers].sort(), [...verifierTypes].sort(), 'one source per verifier type');
  const destinations = new Set(Object.values(config.destinations).map((d) => d.type));
  t.same([...destinations].sort(), ['eventbridge', 'http', 'sns', 'sqs']);
  t.ok(
    Object.values(config.sources).some((s) => s.mode === 'proxy'),
    'a proxy-mode source',
  );
});

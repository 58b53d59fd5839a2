import t from 'tap';
import { isPlaceholder, parseConfig, type GeneratedSecret, type LoadOptions } from '../../src/config/load.js';
import { parseSigningKey } from '../../src/verifiers/standard-webhooks-keys.js';
import { ConfigError } from '../../src/errors.js';

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}, options: LoadOptions = {}): string[] => {
  try {
    parseConfig(text, { env }, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

t.test("validation problems are in the user's words, never zod's", async (t) => {
  const problems = problemsOf(`
server: { port: eighty, host: 5 }
logLevel: loud
sources:
  a: { path: hooks/a, methods: POST, routes: [{}], rateLimit: { max: 0 } }
  b: { verify: { type: stripe } }
  c: { dedupe: 5 }
destinations:
  e: { queueUrl: x }
  f: { type: http, url: not-a-url }
`);
  const text = problems.join('\n');
  t.notMatch(text, /Invalid (input|discriminator|option|string|URL)|expected \w+, received|Too (small|big)/);
  t.same(problems.sort(), [
    'destinations.e.type: is required: one of sqs, sns, eventbridge, http',
    'destinations.f.url: must be a URL (https://…)',
    'logLevel: must be one of fatal, error, warn, info, debug, trace, silent',
    'server.host: must be text',
    'server.port: must be a number',
    'sources.a.methods: must be a list',
    'sources.a.path: must start with "/"',
    'sources.a.rateLimit.max: must be at least 1',
    'sources.a.routes.0.to: is required',
    'sources.b.verify.secrets: is required',
    'sources.c.dedupe: must be true or false or a mapping (key: value)',
  ]);
});

t.test('a wrong type does not hide the other problems of its block', async (t) => {
  t.same(problemsOf('destinations:\n  d: { type: sqss, queueUrl: 3, timeout: soon }'), [
    'destinations.d.type: must be one of sqs, sns, eventbridge, http (did you mean "sqs"?)',
    'destinations.d.queueUrl: must be text',
    'destinations.d.timeout: invalid duration "soon" (use 500ms, 5s, 10m, 1h, 3d or milliseconds)',
  ]);
  // No near miss: what every destination type has is still checked.
  t.same(problemsOf('destinations:\n  d: { type: kafka, timeout: soon, retry: { attempts: 0 } }'), [
    'destinations.d.type: must be one of sqs, sns, eventbridge, http',
    'destinations.d.retry.attempts: must be at least 1',
    'destinations.d.timeout: invalid duration "soon" (use 500ms, 5s, 10m, 1h, 3d or milliseconds)',
  ]);
  t.same(problemsOf('sources:\n  s: { verify: { type: Stripe, secrets: [""], tolerance: soon } }'), [
    'sources.s.verify.type: must be one of stripe, slack, github, shopify, standard-webhooks, twilio, ' +
      'paddle, square, hmac, basic, api-key, none (did you mean "stripe"?)',
    'sources.s.verify.secrets.0: is empty',
    'sources.s.verify.tolerance: invalid duration "soon" (use 500ms, 5s, 10m, 1h, 3d or milliseconds)',
  ]);
});

t.test('a YAML error is shown whole: message, line and the excerpt', async (t) => {
  const problems = problemsOf('server:\n  port: 8080\n bad: 1\n');
  t.equal(problems.length, 1);
  const [first, ...rest] = problems[0]!.split('\n');
  t.equal(
    first,
    'config is not valid YAML: All mapping items must start at the same column at line 3, column 1:',
  );
  t.match(rest.join('\n'), / bad: 1\n\s*\^/, 'the excerpt with its caret');
});

t.test('redis.url must be redis:// or rediss://', async (t) => {
  t.same(problemsOf('redis: { url: "http://127.0.0.1:6379" }'), [
    'redis.url: must be a redis:// or rediss:// (TLS) URL, e.g. redis://127.0.0.1:6379',
  ]);
  t.same(problemsOf('redis: { url: "127.0.0.1:6379" }').length, 1);
  t.same(problemsOf('redis: { url: "rediss://:pw@cache.example:6380" }'), []);
  t.same(problemsOf('redis: { url: "REDIS://h" }'), []);
});

t.test('an empty secret names the variable that was unset', async (t) => {
  const text = `
sources:
  slack: { verify: { type: slack, secrets: ["\${SLACK_SIGNING_SECRET}", ""] }, routes: [{ to: out }] }
destinations:
  out: { type: http, url: "http://x", sign: { secret: "\${OUT_SECRET:-}" } }
`;
  t.same(problemsOf(text), [
    'sources.slack.verify.secrets.0: is empty (SLACK_SIGNING_SECRET is not set)',
    'sources.slack.verify.secrets.1: is empty',
    'destinations.out.sign.secret: is empty (OUT_SECRET is not set)',
  ]);
  t.same(
    problemsOf(text, {}, { secrets: 'unchecked' }),
    [],
    'commands that verify nothing need none of them',
  );
});

t.test('placeholder secrets: the rule', async (t) => {
  for (const s of ['whsec_change_me', 'change-me', 'hooks:CHANGEME', 'x-Change_Me-y'])
    t.ok(isPlaceholder(s), s);
  for (const s of ['whsec_aG9va2dhdGU=', 'changes', 'exchange', 'me']) t.notOk(isPlaceholder(s), s);
});

t.test(
  'a placeholder never verifies: refused, naming the variable; dev swaps in a random secret',
  async (t) => {
    const text = `
admin: { token: "\${HOOKGATE_ADMIN_TOKEN:-change_me}" }
sources:
  stripe: { verify: { type: stripe, secrets: ["\${STRIPE_WEBHOOK_SECRET:-whsec_change_me}"] } }
  svix: { verify: { type: standard-webhooks, secrets: ["whsec_changeme"] } }
  basic: { verify: { type: basic, secrets: ["hooks:change_me"] } }
`;
    t.same(problemsOf(text), [
      'admin.token: "change_me" is a placeholder, not a secret: set HOOKGATE_ADMIN_TOKEN ' +
        '(only hookgate dev runs with placeholders, on a random secret)',
      'sources.stripe.verify.secrets.0: "whsec_change_me" is a placeholder, not a secret: set STRIPE_WEBHOOK_SECRET ' +
        '(only hookgate dev runs with placeholders, on a random secret)',
      'sources.svix.verify.secrets.0: "whsec_changeme" is a placeholder, not a secret: replace it with the real ' +
        'secret, e.g. "${MY_SECRET}" from the environment (only hookgate dev runs with placeholders, on a random secret)',
      'sources.basic.verify.secrets.0: "hooks:change_me" is a placeholder, not a secret: replace it with the real ' +
        'secret, e.g. "${MY_SECRET}" from the environment (only hookgate dev runs with placeholders, on a random secret)',
    ]);
    const env = { HOOKGATE_ADMIN_TOKEN: 'admin-token-1', STRIPE_WEBHOOK_SECRET: 'whsec_real' };
    t.same(problemsOf(text, env).length, 2, 'the variables set: only the literal placeholders are left');

    const generated: GeneratedSecret[] = [];
    const c = parseConfig(text, { env: {} }, { secrets: 'generate', onGenerated: (g) => generated.push(g) });
    t.same(
      generated.map((g) => [g.path, g.variables]),
      [
        ['admin.token', ['HOOKGATE_ADMIN_TOKEN']],
        ['sources.stripe.verify.secrets.0', ['STRIPE_WEBHOOK_SECRET']],
        ['sources.svix.verify.secrets.0', []],
        ['sources.basic.verify.secrets.0', []],
      ],
    );
    const secrets = (name: string) => (c.sources[name]!.verify as { secrets: string[] }).secrets[0]!;
    t.equal(c.admin.token, generated[0]!.secret);
    t.match(secrets('stripe'), /^whsec_[0-9a-f]{48}$/);
    t.equal(secrets('stripe'), generated[1]!.secret);
    t.notOk(isPlaceholder(secrets('stripe')));
    t.notOk('error' in parseSigningKey(secrets('svix')), 'still a valid Standard Webhooks secret');
    t.match(secrets('basic'), /^hooks:[0-9a-f]{48}$/, 'still user:password');
    const again = parseConfig(text, { env: {} }, { secrets: 'generate' });
    t.not(
      (again.sources.stripe!.verify as { secrets: string[] }).secrets[0],
      secrets('stripe'),
      'random each run',
    );
  },
);

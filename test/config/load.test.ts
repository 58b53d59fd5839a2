import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configPath, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { maskSecrets } from '../../src/config/mask.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { ConfigError } from '../../src/errors.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

t.test('defaults fill an empty config', async (t) => {
  const c = parseConfig('', { env: {} });
  t.equal(c.server.port, 8080);
  t.equal(c.server.bodyLimit, 1024 * 1024);
  t.equal(c.server.enqueueTimeout, 2000);
  t.equal(c.retention.events, 3 * 86_400_000);
  t.equal(c.defaults.retry.attempts, 10);
  t.equal(c.defaults.retry.maxDelay, 15 * 60_000);
  t.equal(c.redis.url, 'redis://127.0.0.1:6379');
});

t.test('${VAR}, ${VAR:-default} and ${file:...} are substituted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hg-'));
  writeFileSync(join(dir, 'secret'), 'whsec_from_file\n');
  const c = parseConfig(
    `
server: { port: "\${PORT:-9999}" }
redis: { url: "\${REDIS:-redis://x:1}" }
sources:
  s:
    verify: { type: stripe, secrets: ["\${S1}", "\${file:${join(dir, 'secret')}}"] }
`,
    { env: { S1: 'whsec_env' } },
  );
  t.equal(c.server.port, 9999);
  t.equal(c.redis.url, 'redis://x:1');
  t.same((c.sources.s!.verify as { secrets: string[] }).secrets, ['whsec_env', 'whsec_from_file']);
});

// A full config in flow style, as users copy it from docs: unquoted \${...} inside flow
// mappings (`{ token: \${T} }`).
const FLOW_EXAMPLE = `
server:   { host: 0.0.0.0, port: 8080, bodyLimit: 1mb, trustProxy: false, enqueueTimeout: 2s, shutdownTimeout: 10s }
admin:    { host: 127.0.0.1, port: 9090, token: \${HOOKGATE_ADMIN_TOKEN} }   # no token: admin API off
redis:    { url: \${REDIS_URL:-redis://127.0.0.1:6379}, prefix: hookgate }     # cluster: { nodes: [...] } optional
retention: { events: 3d, deadLetters: 14d }
defaults:
  retry: { attempts: 10, backoff: exponential, delay: 1s, maxDelay: 15m, jitter: 0.2 }
  timeout: 10s

sources:
  stripe:                         # served at POST /hooks/stripe unless path: is given
    verify: { type: stripe, secrets: [ "\${STRIPE_WEBHOOK_SECRET}" ], tolerance: 5m }
    dedupe: true                  # provider's event id; default true where the verifier knows one
    rateLimit: { max: 1000, window: 1m }
    routes:
      - to: payments
        filter: { "body.type": { $in: [ "invoice.paid", "invoice.payment_failed" ] } }
      - to: analytics
  slack:
    verify: { type: slack, secrets: [ "\${SLACK_SIGNING_SECRET}" ] }
    ack: immediate                # 'durable' (default): reply after Redis has the event; 'immediate': reply first
    routes: [ { to: slack-events } ]
  orders-api:                     # proxy mode
    mode: proxy
    path: /api/orders
    methods: [POST, PUT]
    upstream: { url: http://app:3000/orders, timeout: 10s }
    routes:
      - { to: events, on: success }
      - { to: failures, on: failure }

destinations:
  payments:  { type: sqs, queueUrl: https://sqs.us-east-1.amazonaws.com/123/payments.fifo, region: us-east-1,
               groupId: "{{ body.data.object.customer }}" }
  analytics: { type: eventbridge, eventBusName: default, region: us-east-1,
               source: "hookgate.{{ source }}", detailType: "{{ body.type }}" }
  slack-events: { type: http, url: https://internal.example/slack, sign: { secret: "\${OUT_SECRET}" } }
  events:    { type: sns, topicArn: arn:aws:sns:us-east-1:123:events, region: us-east-1 }
  failures:  { type: sqs, queueUrl: ..., format: envelope, retry: { attempts: 20 } }
`;

t.test('a flow-style example config parses once its environment variables are set', async (t) => {
  const c = parseConfig(FLOW_EXAMPLE, {
    env: {
      HOOKGATE_ADMIN_TOKEN: 'tok',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      SLACK_SIGNING_SECRET: 'sl',
      OUT_SECRET: 'out',
    },
  });
  t.equal(c.admin.token, 'tok');
  t.equal(c.redis.url, 'redis://127.0.0.1:6379', 'default from the ${REDIS_URL:-...} fallback');
  t.equal(c.server.bodyLimit, 1024 * 1024);
  t.equal(c.sources['orders-api']!.mode, 'proxy');
  t.equal(c.destinations.failures!.type, 'sqs');
  const unset = problemsOf(() => parseConfig(FLOW_EXAMPLE, { env: {} }));
  t.same(unset, [
    'sources.stripe.verify.secrets.0: is empty (STRIPE_WEBHOOK_SECRET is not set)',
    'sources.slack.verify.secrets.0: is empty (SLACK_SIGNING_SECRET is not set)',
    'destinations.slack-events.sign.secret: is empty (OUT_SECRET is not set)',
  ]);
});

t.test('a value that looks like a placeholder is kept as written', async (t) => {
  const c = parseConfig('redis: { prefix: hgvar0x0x, url: "${U}" }', { env: { U: 'redis://h:1' } });
  t.equal(c.redis.prefix, 'hgvar0x0x');
  t.equal(c.redis.url, 'redis://h:1');
});

t.test('--config, else $HOOKGATE_CONFIG (when not empty), else config/hookgate.yaml', async (t) => {
  t.equal(configPath('a.yaml', { HOOKGATE_CONFIG: 'b.yaml' }), 'a.yaml');
  t.equal(configPath(undefined, { HOOKGATE_CONFIG: 'b.yaml' }), 'b.yaml');
  t.equal(configPath(undefined, { HOOKGATE_CONFIG: '' }), 'config/hookgate.yaml');
  t.equal(configPath(undefined, {}), 'config/hookgate.yaml');
});

t.test('durations and sizes', async (t) => {
  const c = parseConfig(
    'server: { bodyLimit: 512kb, enqueueTimeout: 500ms, shutdownTimeout: 1500 }\nretention: { events: 1h, deadLetters: 3d }',
    { env: {} },
  );
  t.equal(c.server.bodyLimit, 512 * 1024);
  t.equal(c.server.enqueueTimeout, 500);
  t.equal(c.server.shutdownTimeout, 1500);
  t.equal(c.retention.events, 3_600_000);
  t.equal(c.retention.deadLetters, 3 * 86_400_000);
});

t.test('every problem is listed as path: message', async (t) => {
  const problems = problemsOf(() =>
    parseConfig(
      `
server: { port: 99999, enqueueTimeout: soon, prot: 8080 }
sources:
  a:
    verify: { type: stripe, secrets: ["\${UNSET}"] }
    routes: [ { to: nowhere } ]
  b:
    verify: { type: nope }
    routes: [ { to: d, filter: { body.x: { $nope: 1 } } } ]
  c: { mode: proxy, ack: sometimes }
  "bad name!": {}
destinations:
  d: { type: sqs }
bogus: 1
`,
      { env: {} },
    ),
  );
  const text = problems.join('\n');
  t.match(text, /^server\.port: /m);
  t.match(text, /^server\.enqueueTimeout: invalid duration "soon"/m);
  t.match(text, /^sources\.a\.verify\.secrets\.0: is empty/m);
  t.match(text, /^sources\.b\.verify\.type: /m);
  t.match(text, /^destinations\.d\.queueUrl: /m);
  // Unknown keys are named in the path; a bad source name says what names may be.
  t.match(text, /^server\.prot: unknown key$/m);
  t.match(text, /^bogus: unknown key$/m);
  t.match(text, /^sources\.bad name!: source names use letters, digits/m);
  // Cross-field checks and filters are listed in the same pass as field errors.
  t.match(text, /^sources\.a\.routes\.0\.to: unknown destination "nowhere"$/m);
  t.match(text, /^sources\.c\.upstream: is required in proxy mode$/m);
  t.match(text, /^sources\.c\.ack: /m);
  t.match(text, /^sources\.b\.routes\.0\.filter: /m);
  t.equal(problems.length, 12, text);
});

t.test('a route to an unknown destination is a config error', async (t) => {
  const problems = problemsOf(() =>
    parseConfig('sources:\n  a:\n    routes: [ { to: ghost } ]\ndestinations: {}', { env: {} }),
  );
  t.same(problems, ['sources.a.routes.0.to: unknown destination "ghost"']);
});

t.test('a filter with an unknown operator is a config error', async (t) => {
  const problems = problemsOf(() =>
    parseConfig(
      'sources:\n  a:\n    routes: [ { to: d, filter: { body.type: { $nope: 1 } } } ]\ndestinations:\n  d: { type: http, url: "http://x" }',
      { env: {} },
    ),
  );
  t.equal(problems.length, 1);
  t.match(problems[0], /^sources\.a\.routes\.0\.filter: /);
});

t.test('two sources on one path are refused', async (t) => {
  const problems = problemsOf(() =>
    parseConfig('sources:\n  a: { path: /x }\n  b: { path: /x }', { env: {} }),
  );
  t.match(problems.join('\n'), /sources\.b\.path: \/x is already used by source "a"/);
});

t.test('proxy mode needs an upstream', async (t) => {
  const problems = problemsOf(() => parseConfig('sources:\n  p: { mode: proxy }', { env: {} }));
  t.same(problems, ['sources.p.upstream: is required in proxy mode']);
});

t.test('unreadable file and invalid YAML are one clear problem', async (t) => {
  t.same(
    problemsOf(() => loadConfigFile('/does/not/exist.yaml')),
    [
      'config file /does/not/exist.yaml does not exist: copy config/hookgate.example.yaml (every key, commented) ' +
        'to config/hookgate.yaml, or name yours with --config <file> or HOOKGATE_CONFIG',
    ],
  );
  t.match(
    problemsOf(() => loadConfigFile(tmpdir())),
    [/^cannot read config file .*: EISDIR$/],
  );
  t.match(
    problemsOf(() => parseConfig('a: [', { env: {} })),
    [/not valid YAML/],
  );
});

t.test('masking hides every secret', async (t) => {
  const c = parseConfig(
    `
admin: { token: tok123 }
redis: { url: "redis://:pw123@host:6379", prefix: "{hg}", cluster: { nodes: ["redis://:nodepw@n1:6379"] } }
sources:
  s: { verify: { type: github, secrets: [ghsecret] }, routes: [ { to: d } ] }
destinations:
  d:
    type: http
    url: "http://x/in?access_token=querytok&page=2"
    sign: { secret: outsecret }
    headers: { authorization: "Bearer headertok", x-api-key: headerkey, x-tenant: acme }
  q: { type: sqs, queueUrl: "http://q/1/q", endpoint: "http://ak:endpointpw@localhost:4566" }
`,
    { env: {} },
  );
  const text = JSON.stringify(maskSecrets(c));
  for (const s of [
    'tok123',
    'pw123',
    'nodepw',
    'ghsecret',
    'outsecret',
    'querytok',
    'headertok',
    'headerkey',
    'endpointpw',
  ])
    t.notMatch(text, s);
  t.match(text, '********');
  t.match(text, 'x-tenant":"acme', 'other headers are shown');
  t.match(text, 'page=2', 'other query parameters are shown');
});

t.test('eventLog: the PostgreSQL URL is checked, and config check masks its password', async (t) => {
  const c = parseConfig(
    `eventLog: { postgres: { url: "postgres://hook:pgSecret42@db.internal:5432/hooks?sslmode=require" } }`,
    { env: {} },
  );
  t.equal(c.eventLog?.postgres.schema, 'hookgate', 'default schema');
  t.equal(c.eventLog?.postgres.pool, 4, 'default pool');
  const text = JSON.stringify(maskSecrets(c));
  t.notMatch(text, 'pgSecret42');
  t.match(text, 'postgres://hook:********@db.internal:5432/hooks?sslmode=require');
  t.same(
    problemsOf(() =>
      parseConfig(`eventLog: { postgres: { url: "mysql://x@y/z", schema: "Bad-Name" } }`, { env: {} }),
    ),
    [
      'eventLog.postgres.url: must be a postgres:// or postgresql:// URL (TLS: ?sslmode=require)',
      'eventLog.postgres.schema: lower-case letters, digits and _ (a PostgreSQL identifier)',
    ],
    'every problem in one pass',
  );
});

t.test('JSON schema describes the input form', async (t) => {
  const schema = configJsonSchema() as { properties: Record<string, unknown> };
  t.ok(schema.properties.sources);
  t.ok(schema.properties.destinations);
  t.ok(schema.properties.server);
});

t.test(
  'JSON schema: valid 2020-12, and the shipped configs pass it as written (${VAR} included)',
  async (t) => {
    // fastify's own validator (ajv 8) with the standard formats, in strict mode.
    const require = createRequire(import.meta.url);
    const { default: Ajv2020 } = require('ajv/dist/2020') as {
      default: new (o: object) => {
        validateSchema(s: unknown): boolean;
        compile(s: unknown): ((d: unknown) => boolean) & { errors?: unknown };
      };
    };
    const addFormats = require('ajv-formats') as (ajv: unknown) => void;
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(ajv);
    const schema = configJsonSchema();
    t.ok(ajv.validateSchema(schema), 'valid against the 2020-12 meta-schema');
    const validate = ajv.compile(schema); // throws on unknown formats or keywords
    for (const name of ['hookgate.example.yaml', 'hookgate.reference.yaml', 'hookgate.compose.yaml']) {
      const raw: unknown = parseYaml(readFileSync(new URL(`../../config/${name}`, import.meta.url), 'utf8'));
      t.ok(validate(raw), `${name}: ${JSON.stringify(validate.errors)}`);
    }
    t.notOk(validate(parseYaml('server: { port: eighty }')), 'a non-number port is still flagged');
    t.ok(validate(parseYaml('server: { port: "${PORT:-8080}", trustProxy: "${TP}" }')));
  },
);

t.test('redis.cluster needs a {hash tag} in redis.prefix (one slot for every key)', async (t) => {
  const cluster = (prefix?: string) =>
    problemsOf(() =>
      parseConfig(
        JSON.stringify({
          redis: { ...(prefix !== undefined ? { prefix } : {}), cluster: { nodes: ['redis://n1:6379'] } },
        }),
        { env: {} },
      ),
    );
  t.same(cluster(), [
    'redis.prefix: "hookgate" has no {hash tag}; with redis.cluster every key must hash to one slot, ' +
      'so write the prefix with a non-empty tag, e.g. "{hookgate}"',
  ]);
  for (const prefix of ['myapp', 'my:app', '{}', '{}x{a}', '}a{', 'a{b']) {
    t.match(cluster(prefix), [/^redis\.prefix: .* has no \{hash tag\}/], prefix);
  }
  for (const prefix of ['{hookgate}', '{hg}:prod', 'tenant-{a}', '{a}{}']) {
    t.same(cluster(prefix), [], `${prefix} is accepted`);
  }
  t.same(
    problemsOf(() => parseConfig('redis: { prefix: myapp }', { env: {} })),
    [],
    'no cluster: any prefix',
  );
  t.same(
    problemsOf(() =>
      parseConfig('redis: { prefix: myapp, cluster: { nodes: [] } }\nserver: { port: x }', { env: {} }),
    ).sort(),
    [
      'redis.cluster.nodes: needs at least 1',
      'redis.prefix: "myapp" has no {hash tag}; with redis.cluster every key must hash to one slot, ' +
        'so write the prefix with a non-empty tag, e.g. "{myapp}"',
      'server.port: must be a number',
    ].sort(),
    'reported with the other problems of the file',
  );
});

t.test('a source eventType names a header (lower-cased) or a body path, nothing else', async (t) => {
  const config = parseConfig(
    'sources:\n  a: { eventType: { header: X-Event } }\n  b: { eventType: { body: data.kind } }\n  c: {}',
    { env: {} },
  );
  t.same(config.sources.a!.eventType, { header: 'x-event' });
  t.same(config.sources.b!.eventType, { body: 'data.kind' });
  t.equal(config.sources.c!.eventType, undefined, "absent: the verifier's");
  for (const bad of ['push', '{ header: "" }', '{ header: a, body: b }', 'true']) {
    const problems = problemsOf(() => parseConfig(`sources:\n  a: { eventType: ${bad} }`, { env: {} }));
    t.equal(problems.length, 1, bad);
    t.match(problems[0], /^sources\.a\.eventType/, bad);
  }
});

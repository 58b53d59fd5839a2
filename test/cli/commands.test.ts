import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { runCli, writeConfig } from './run.js';

const SECRET = 'whsec_c2VjcmV0LWZyb20tZW52aXJvbm1lbnQ=';

t.test('usage errors exit 2 with one line; asking for help exits 0', async (t) => {
  const errors = [['bogus'], ['serve', '--nope'], ['serve', 'extra'], ['config', 'check', '--config']];
  const bare = [[], ['config']];
  const help = [['help'], ['--help'], ['config', 'check', '--help'], ['--version']];
  const [e, b, h] = await Promise.all(
    [errors, bare, help].map((cases) => Promise.all(cases.map((args) => runCli(args)))),
  );
  e!.forEach((r, i) => {
    t.equal(r.code, 2, errors[i]!.join(' '));
    t.match(r.stderr, /^hookgate: .+\n$/, `${errors[i]!.join(' ')}: one line`);
  });
  b!.forEach((r, i) => {
    t.equal(r.code, 2, `'${bare[i]!.join(' ')}' without a command is a usage error`);
    t.match(r.stderr, /^Usage: hookgate/, 'with the help on stderr');
  });
  h!.forEach((r, i) => t.equal(r.code, 0, help[i]!.join(' ')));
});

t.test('config check: resolved and masked, exit 0; invalid: every problem, exit 1', async (t) => {
  const { file, cleanup } = writeConfig({
    admin: { token: '${ADMIN_TOKEN}' },
    sources: { s: { verify: { type: 'standard-webhooks', secrets: ['${S_SECRET}'] } } },
  });
  t.teardown(cleanup);
  const ok = await runCli(['config', 'check', '--config', file, '--json'], {
    env: { S_SECRET: SECRET, ADMIN_TOKEN: 'admin-token-value' },
  });
  t.equal(ok.code, 0, ok.stderr);
  const printed = JSON.parse(ok.stdout) as { sources: { s: { verify: { secrets: string[] } } } };
  t.same(printed.sources.s.verify.secrets, ['********']);
  t.notMatch(ok.stdout + ok.stderr, SECRET);
  t.notMatch(ok.stdout + ok.stderr, 'admin-token-value');

  const bad = await runCli(['config', 'check', '--config', file], { env: { S_SECRET: '' } });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^ {2}sources\.s\.verify\.secrets\.0: is empty/m);
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});

t.test('--config defaults to $HOOKGATE_CONFIG, then config/hookgate.yaml', async (t) => {
  const { file, dir, cleanup } = writeConfig({ redis: { prefix: 'from-env-file' } });
  t.teardown(cleanup);
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'hookgate.yaml'), 'redis: { prefix: from-default-path }\n');
  const env = { HOOKGATE_CONFIG: undefined };
  const [fromEnv, fromDefault, explicit] = await Promise.all([
    runCli(['config', 'check', '--json'], { cwd: dir, env: { HOOKGATE_CONFIG: file } }),
    runCli(['config', 'check', '--json'], { cwd: dir, env }),
    runCli(['config', 'check', '--json', '--config', join(dir, 'config', 'hookgate.yaml')], {
      cwd: dir,
      env: { HOOKGATE_CONFIG: file },
    }),
  ]);
  const prefix = (r: { stdout: string }) =>
    (JSON.parse(r.stdout) as { redis: { prefix: string } }).redis.prefix;
  t.equal(prefix(fromEnv), 'from-env-file');
  t.equal(prefix(fromDefault), 'from-default-path');
  t.equal(prefix(explicit), 'from-default-path', '--config wins over $HOOKGATE_CONFIG');
});

t.test('config schema prints JSON Schema', async (t) => {
  const r = await runCli(['config', 'schema']);
  t.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
  t.match(schema.$schema, /json-schema\.org/);
  t.ok(schema.properties.sources);
});

t.test(
  'config check prints durations and sizes as written, and no proxy-only keys on ack sources',
  async (t) => {
    const { file, cleanup } = writeConfig({
      server: { shutdownTimeout: 1500, enqueueTimeout: '2000ms', bodyLimit: 2097152 },
      retention: { events: '72h' },
      sources: {
        hook: { rateLimit: { max: 5, window: 60000 } },
        api: { mode: 'proxy', upstream: { url: 'http://app:3000', timeout: '10s' } },
      },
    });
    t.teardown(cleanup);
    const r = await runCli(['config', 'check', '--config', file]);
    t.equal(r.code, 0, r.stderr);
    const printed = parseYaml(r.stdout) as {
      server: Record<string, unknown>;
      retention: Record<string, unknown>;
      sources: Record<string, Record<string, unknown>>;
    };
    t.match(printed.server, { shutdownTimeout: '1500ms', enqueueTimeout: '2s', bodyLimit: '2mb' });
    t.match(printed.retention, { events: '3d', deadLetters: '14d' });
    t.same(printed.sources.hook!.rateLimit, { max: 5, window: '1m' });
    for (const key of ['upstream', 'record', 'bufferSize'])
      t.notOk(key in printed.sources.hook!, `ack: no ${key}`);
    t.match(printed.sources.api, { record: 'after-response', bufferSize: 1000 });
    t.match(printed.sources.api!.upstream, { timeout: '10s', maxResponseBody: '256kb' });
    // What it prints is a config: loading it gives the same config back.
    const again = writeConfig(printed);
    t.teardown(again.cleanup);
    const reloaded = await runCli(['config', 'check', '--config', again.file]);
    t.equal(reloaded.stdout, r.stdout);
  },
);

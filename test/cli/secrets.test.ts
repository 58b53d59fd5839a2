import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stripeSignature } from '../ingress/harness.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { collect, ROOT, runCli, spawnCli, writeConfig } from './run.js';

const EXAMPLE = join(ROOT, 'config/hookgate.example.yaml');
const UNSET = { STRIPE_WEBHOOK_SECRET: undefined, SLACK_SIGNING_SECRET: undefined, OUT_SECRET: undefined };

t.test('serve, worker and config check refuse a placeholder secret, naming the variable', async (t) => {
  // The example config as shipped (and baked into the image), STRIPE_WEBHOOK_SECRET unset.
  const runs = await Promise.all(
    [['config', 'check'], ['serve'], ['worker']].map((args) =>
      runCli([...args, '--config', EXAMPLE], { env: UNSET }),
    ),
  );
  for (const r of runs) {
    t.equal(r.code, 1, r.stderr);
    t.equal(
      r.stderr,
      'hookgate: sources.stripe.verify.secrets.0: "whsec_change_me" is a placeholder, not a secret: ' +
        'set STRIPE_WEBHOOK_SECRET (only hookgate dev runs with placeholders, on a random secret)\n',
    );
  }
  const set = await runCli(['config', 'check', '--config', EXAMPLE], {
    env: { STRIPE_WEBHOOK_SECRET: 'whsec_c2V0LWluLXRoZS1lbnZpcm9ubWVudA==' },
  });
  t.equal(set.code, 0, set.stderr);
});

t.test('dev runs a placeholder on a random secret it prints; the placeholder never verifies', async (t) => {
  const prefix = uniquePrefix('dev-placeholder');
  t.teardown(() => dropPrefix(prefix));
  const { file, dir, cleanup } = writeConfig({
    server: { host: '127.0.0.1', port: 0, shutdownTimeout: '2s' },
    redis: { url: REDIS_URL, prefix },
    logLevel: 'info',
    sources: {
      stripe: { verify: { type: 'stripe', secrets: ['${STRIPE_WEBHOOK_SECRET:-whsec_change_me}'] } },
    },
  });
  t.teardown(cleanup);
  const child = spawnCli(['dev', '--config', file], { cwd: dir, env: UNSET });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = collect(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m =
        /"msg":"hookgate dev started".*?"url":"([^"]+)"|"url":"([^"]+)".*?"msg":"hookgate dev started"/.exec(
          out,
        );
      if (m) resolve((m[1] ?? m[2])!);
    });
    void done.then((r) => reject(new Error(`dev exited early (${r.code}): ${r.stderr}`)));
  });
  // Written before the servers start, so complete by now.
  const printed =
    /^hookgate dev: sources\.stripe\.verify\.secrets\.0 is a placeholder \(STRIPE_WEBHOOK_SECRET not set, only dev accepts one\); this run uses (whsec_[0-9a-f]{48})$/m.exec(
      stderr,
    );
  t.ok(printed, stderr);
  const secret = printed?.[1] ?? 'none printed';

  const body = JSON.stringify({ id: 'evt_placeholder', type: 'invoice.paid' });
  const post = (key: string) =>
    fetch(`${url}/hooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripeSignature(body, { secret: key }),
      },
      body,
    });
  t.equal((await post('whsec_change_me')).status, 401, 'signed with the public placeholder: refused');
  t.equal((await post(secret)).status, 204, 'signed with the printed secret: stored');

  child.kill('SIGTERM');
  const exit = await done;
  t.equal(exit.code, 0, exit.stderr);
  t.notMatch(exit.stdout, secret, 'printed once on stderr, never logged');
});

t.test('read-only commands need no webhook or signing secret; serve names the unset variable', async (t) => {
  const prefix = uniquePrefix('no-secrets');
  t.teardown(() => dropPrefix(prefix));
  const { file, cleanup } = writeConfig({
    redis: { url: REDIS_URL, prefix },
    logLevel: 'silent',
    sources: {
      slack: { verify: { type: 'slack', secrets: ['${SLACK_SIGNING_SECRET}'] }, routes: [{ to: 'out' }] },
    },
    destinations: { out: { type: 'http', url: 'http://127.0.0.1:9/x', sign: { secret: '${OUT_SECRET}' } } },
  });
  t.teardown(cleanup);
  const [dlq, events, serve] = await Promise.all([
    runCli(['dlq', 'list', '--config', file], { env: UNSET }),
    runCli(['events', 'list', '--config', file], { env: UNSET }),
    runCli(['serve', '--config', file], { env: UNSET }),
  ]);
  t.equal(dlq.code, 0, dlq.stderr);
  t.equal(dlq.stdout, 'no dead letters\n');
  t.equal(events.code, 0, events.stderr);
  t.equal(serve.code, 1);
  t.equal(
    serve.stderr,
    'hookgate: invalid config:\n' +
      '  sources.slack.verify.secrets.0: is empty (SLACK_SIGNING_SECRET is not set)\n' +
      '  destinations.out.sign.secret: is empty (OUT_SECRET is not set)\n',
  );
});

t.test('no config file: say so, and where to start from', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-noconfig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await runCli(['config', 'check'], { cwd: dir, env: { HOOKGATE_CONFIG: undefined } });
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    'hookgate: config file config/hookgate.yaml does not exist: copy config/hookgate.example.yaml ' +
      '(every key, commented) to config/hookgate.yaml, or name yours with --config <file> or HOOKGATE_CONFIG\n',
  );
});

import t, { type Test } from 'tap';
import Stripe from 'stripe';
import type { DeadLetterPage } from '../../src/dead-letter/store.js';
import type { EventDetail } from '../../src/events/history.js';
import { describeRedisError, redisErrorKind } from '../../src/queue/connection.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../cli/run.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTlsRedisServer, tlsRedisToolsMissing } from '../helpers/redis-tls.js';
import { waitFor } from '../worker/harness.js';
import { stripeStack } from './stack.js';

const SECRET = 'whsec_tls_hookgate';
const TOKEN = 'admin-token-for-tls-tests-0123456';
// Shaped like an ElastiCache AUTH token; distinctive, so any log line carrying it is found.
const PASSWORD = 'TlsAuthToken-q7Vz3Kd9-Xw2Lp8R';
const WRONG = 'WrongAuthToken-m4Hs6Tb1-Yc5Nf0G';
const stripe = new Stripe('sk_test_hookgate');

/**
 * `redis.url: rediss://:<token>@host:port`, as the ECS deployment connects to
 * ElastiCache (in-transit encryption + AUTH): a redis-server that speaks only TLS and
 * requires a password, its certificate signed by a private CA that the processes
 * trust through NODE_EXTRA_CA_CERTS. Real `hookgate serve`, `worker` and CLI processes.
 */
t.test('hookgate over TLS + AUTH (rediss://)', { skip: tlsRedisToolsMissing() }, async (t) => {
  const redis = await startTlsRedisServer(t, { password: PASSWORD });
  const trusted = { NODE_EXTRA_CA_CERTS: redis.caFile };
  // What every process wrote: none of it may contain the password.
  const outputs: { name: string; result: CliResult }[] = [];

  const setup = async (
    t: Test,
    options: { url: string; env: NodeJS.ProcessEnv; worker?: boolean; label: string },
  ) => {
    const { ok, failing, port, adminPort, file } = await stripeStack(t, {
      redis: { url: options.url, prefix: uniquePrefix('tls') },
      secret: SECRET,
      token: TOKEN,
      server: { enqueueTimeout: '1s' },
      rateLimit: { max: 2, window: '1m' },
    });
    const procs: RunningCli[] = [];
    t.teardown(async () => {
      for (const p of procs) p.child.kill('SIGKILL');
      for (const [i, p] of procs.entries())
        outputs.push({ name: `${options.label} ${i ? 'worker' : 'serve'}`, result: await p.done });
    });
    const env = options.env;
    procs.push(
      ...(await Promise.all([
        startCli(['serve', '--config', file], /hookgate serve started/, { env }),
        ...(options.worker
          ? [startCli(['worker', '--config', file], /hookgate worker started/, { env })]
          : []),
      ])),
    );
    const cli = async (args: string[]) => {
      const result = await runCli([...args, '--config', file], { env });
      outputs.push({ name: `${options.label} hookgate ${args.join(' ')}`, result });
      return result;
    };
    const payload = JSON.stringify({ id: `evt_${options.label}`, object: 'event', type: 'invoice.paid' });
    const send = () =>
      fetch(`http://127.0.0.1:${port}/hooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
        },
        body: payload,
      });
    const admin = async (path: string) =>
      fetch(`http://127.0.0.1:${adminPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { ok, failing, port, send, admin, cli, procs, payload };
  };

  await t.test('trusted CA, right password: ingest, deliver, rate limit, CLI, metrics', async (t) => {
    const s = await setup(t, { url: redis.url, env: trusted, worker: true, label: 'ok' });
    t.equal((await fetch(`http://127.0.0.1:${s.port}/readyz`)).status, 200, '/readyz');

    const first = await s.send();
    t.equal(first.status, 204, 'a Stripe-signed webhook is accepted');
    const eventId = first.headers.get('hookgate-event-id')!;
    t.match(eventId, /^[0-9A-Z]{26}$/);
    t.equal((await s.send()).status, 204, 'the duplicate');
    const limited = await s.send();
    t.equal(limited.status, 429, 'past rateLimit.max: the limiter counts in Redis over TLS');
    t.match(limited.headers.get('retry-after'), /^\d+$/);

    const [received] = await s.ok.waitForRequests(1);
    const envelope = JSON.parse(received!.body.toString()) as Envelope;
    t.equal(envelope.id, eventId, 'the worker delivered it');
    t.equal(envelope.requestPayload.body, s.payload);

    const deadId = deliveryId(eventId, 'failing');
    await waitFor('the dead letter', async () => {
      const res = await s.admin('/admin/dead-letters');
      return ((await res.json()) as DeadLetterPage).items.some((i) => i.id === deadId);
    });
    const listed = await s.cli(['dlq', 'list', '--json']);
    t.equal(listed.code, 0, listed.stderr);
    t.same(
      (JSON.parse(listed.stdout) as DeadLetterPage).items.map((i) => i.id),
      [deadId],
      'hookgate dlq list',
    );
    const shown = await s.cli(['events', 'show', eventId, '--json']);
    t.equal(shown.code, 0, shown.stderr);
    const detail = JSON.parse(shown.stdout) as EventDetail;
    t.equal(detail.id, eventId, 'hookgate events show');
    t.same(detail.deliveries.map((d) => d.destination).sort(), ['failing', 'ok']);

    const metrics = await s.admin('/metrics');
    t.equal(metrics.status, 200);
    t.match(await metrics.text(), /^hookgate_queue_jobs\{/m, 'queue depths read over TLS');
  });

  await t.test('wrong password: 503 at once, readyz 503, CLI one line and exit 1', async (t) => {
    const url = `rediss://:${WRONG}@localhost:${redis.port}`;
    const s = await setup(t, { url, env: trusted, worker: true, label: 'wrongpass' });
    const [res, ready] = await Promise.all([s.send(), fetch(`http://127.0.0.1:${s.port}/readyz`)]);
    t.equal(res.status, 503, 'the webhook is refused for the provider to retry');
    t.match(res.headers.get('retry-after'), /^\d+$/);
    t.equal(ready.status, 503, '/readyz');

    const [serve, worker] = s.procs.map((p) => p.done);
    for (const p of s.procs) p.child.kill('SIGKILL');
    const served = (await serve!).stdout;
    t.match(served, /refused the password.*"msg":"redis unavailable"/);
    // The store's own bound answered (enqueueTimeout), and said why.
    t.match(served, /"reason":"\w+"[^\n]*"msg":"event not stored"/, 'the store gave up and logged it');
    // Every reconnect (200 ms, 400 ms, ...) of every connection failed: one line for all.
    const refusals = (await worker!).stdout.split('\n').filter((l) => l.includes('WRONGPASS'));
    t.equal(refusals.length, 1, `the worker logs the refusal once: ${refusals.join('\n')}`);

    // The CLI alone, counted by Redis: each refused AUTH adds to the ACL log. Waiting out
    // its 5 s ready timeout would have meant about 7 (reconnects at 200 ms, 400 ms, ...).
    const before = await redis.authFailures();
    const listed = await s.cli(['dlq', 'list']);
    t.equal(listed.code, 1);
    t.equal(listed.stdout, '');
    t.match(listed.stderr, /^hookgate: [^\n]*\n$/, 'one line');
    t.match(listed.stderr, /refused the password \(WRONGPASS/, 'that says the password was refused');
    const attempts = (await redis.authFailures()) - before;
    t.ok(attempts >= 1 && attempts <= 2, `gave up at the first refusal: ${attempts} AUTH attempt(s)`);
  });

  await t.test('CA not trusted: 503, readyz 503, CLI and log say certificate', async (t) => {
    const s = await setup(t, { url: redis.url, env: { NODE_EXTRA_CA_CERTS: '' }, label: 'untrusted' });
    const [res, ready, listed] = await Promise.all([
      s.send(),
      fetch(`http://127.0.0.1:${s.port}/readyz`),
      s.cli(['dlq', 'list']),
    ]);
    t.equal(res.status, 503, 'the webhook is refused');
    t.match(res.headers.get('retry-after'), /^\d+$/);
    t.equal(ready.status, 503, '/readyz');

    t.equal(listed.code, 1);
    t.match(listed.stderr, /^hookgate: [^\n]*\n$/, 'one line');
    t.match(listed.stderr, /TLS certificate is not accepted .*NODE_EXTRA_CA_CERTS/, 'that says why');
    s.procs[0]!.child.kill('SIGKILL');
    const serve = await s.procs[0]!.done;
    t.match(
      serve.stdout,
      /"redis unavailable".*certificate|certificate.*"redis unavailable"/,
      'serve logs why',
    );
  });

  // Each subtest's teardown collected its processes' output before the next began.
  await t.test('no process wrote the password', async (t) => {
    t.equal(outputs.length, 9, 'serve x3, worker x2, CLI x4 runs');
    for (const { name, result } of outputs) {
      const all = result.stdout + result.stderr;
      t.notOk(all.includes(PASSWORD) || all.includes(WRONG), name);
    }
  });
});

t.test('what a failed Redis connection says', async (t) => {
  const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });
  t.equal(redisErrorKind(new Error('WRONGPASS invalid username-password pair')), 'auth');
  t.equal(redisErrorKind(new Error('NOAUTH Authentication required.')), 'auth');
  t.equal(redisErrorKind(tlsError('ECONNREFUSED', 'connect ECONNREFUSED')), 'other');
  t.equal(redisErrorKind(undefined), 'other');
  t.match(
    describeRedisError(tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate')),
    /not accepted \(unable to verify the first certificate\); for a private CA, .*NODE_EXTRA_CA_CERTS/,
  );
  // A trusted certificate for another host, or an expired one: no CA to add.
  const altname = describeRedisError(
    tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Host: x. is not in the cert's altnames"),
  );
  t.match(altname, /TLS certificate is not accepted/);
  t.notMatch(altname, /NODE_EXTRA_CA_CERTS/);
  t.match(describeRedisError(tlsError('CERT_HAS_EXPIRED', 'certificate has expired')), /not accepted/);
  t.equal(describeRedisError(tlsError('ECONNREFUSED', 'connect ECONNREFUSED')), 'connect ECONNREFUSED');
});

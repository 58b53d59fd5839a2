import t from 'tap';
import Stripe from 'stripe';
import type { DeadLetterPage } from '../../src/dead-letter/store.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../cli/run.js';
import { clusterToolsMissing, startRedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/redis.js';
import { tlsRedisToolsMissing } from '../helpers/redis-tls.js';
import { waitFor } from '../worker/harness.js';
import { stripeStack } from './stack.js';

const SECRET = 'whsec_cluster_tls_hookgate';
const TOKEN = 'admin-token-for-cluster-tls-tests-0';
// Shaped like an ElastiCache AUTH token; distinctive, so any output carrying it is found.
const PASSWORD = 'ClusterAuthToken-f3Rt8Wq1-Zp6Kd2V';
const stripe = new Stripe('sk_test_hookgate');

/**
 * ElastiCache in cluster mode with in-transit encryption and an AUTH token: a 3-master
 * cluster that speaks only TLS (clients and cluster bus), requires a password, names
 * its nodes by host name, and whose certificate (private CA, trusted through
 * NODE_EXTRA_CA_CERTS) names the host and no IP. hookgate is given one seed URL with a
 * host name, as it would be given the configuration endpoint. Real `hookgate serve`,
 * `worker` and CLI processes.
 */
t.test(
  'Redis Cluster over TLS + AUTH, one host-name seed (ElastiCache cluster mode)',
  { skip: clusterToolsMissing() ?? tlsRedisToolsMissing() },
  async (t) => {
    const cluster = await startRedisCluster(t, { password: PASSWORD, tls: true });
    const seed = cluster.nodes[0]!;
    t.match(seed, /^rediss:\/\/:[^@]+@localhost:\d+$/, 'the seed names a host, not an IP');
    const env = { NODE_EXTRA_CA_CERTS: cluster.caFile! };
    const { ok, port, adminPort, file } = await stripeStack(t, {
      redis: { prefix: `{${uniquePrefix('cluster-tls')}}`, cluster: { nodes: [seed] } },
      secret: SECRET,
      token: TOKEN,
    });
    // What every process wrote: none of it may contain the password.
    const outputs: { name: string; result: CliResult }[] = [];
    const procs: RunningCli[] = [];
    t.teardown(() => procs.forEach((p) => p.child.kill('SIGKILL')));
    const [serve, worker] = await Promise.all([
      startCli(['serve', '--config', file], /hookgate serve started/, { env }),
      startCli(['worker', '--config', file], /hookgate worker started/, { env }),
    ]);
    procs.push(serve, worker);
    const ingress = `http://127.0.0.1:${port}`;

    t.equal((await fetch(`${ingress}/readyz`)).status, 200, '/readyz: the cluster answers');

    const payload = JSON.stringify({ id: 'evt_cluster_tls_1', object: 'event', type: 'invoice.paid' });
    const res = await fetch(`${ingress}/hooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    });
    t.equal(res.status, 204, 'a Stripe-signed webhook is accepted and stored');
    const eventId = res.headers.get('hookgate-event-id')!;
    t.match(eventId, /^[0-9A-Z]{26}$/);

    const [received] = await ok.waitForRequests(1);
    const envelope = JSON.parse(received!.body.toString()) as Envelope;
    t.equal(envelope.id, eventId, 'the worker delivered it');
    t.equal(envelope.requestPayload.body, payload);

    const deadId = deliveryId(eventId, 'failing');
    await waitFor('the dead letter', async () => {
      const page = await fetch(`http://127.0.0.1:${adminPort}/admin/dead-letters`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return ((await page.json()) as DeadLetterPage).items.some((i) => i.id === deadId);
    });
    const listed = await runCli(['dlq', 'list', '--json', '--config', file], { env });
    outputs.push({ name: 'hookgate dlq list', result: listed });
    t.equal(listed.code, 0, listed.stderr);
    t.same(
      (JSON.parse(listed.stdout) as DeadLetterPage).items.map((i) => i.id),
      [deadId],
      'hookgate dlq list',
    );

    for (const p of procs) p.child.kill('SIGTERM');
    for (const [i, p] of procs.entries()) {
      const result = await p.done;
      outputs.push({ name: i ? 'worker' : 'serve', result });
      t.equal(result.code, 0, `${i ? 'worker' : 'serve'} exits 0`);
    }
    for (const { name, result } of outputs) {
      t.notOk((result.stdout + result.stderr).includes(PASSWORD), `${name}: no password in its output`);
    }
  },
);

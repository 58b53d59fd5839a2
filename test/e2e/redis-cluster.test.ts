import t from 'tap';
import { Redis } from 'ioredis';
import Stripe from 'stripe';
import type { DeadLetter, DeadLetterPage } from '../../src/dead-letter/store.js';
import type { EventDetail, EventSummary } from '../../src/events/history.js';
import { clusterRedisOptions, createRedis } from '../../src/queue/connection.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { runCli, startCli, type RunningCli } from '../cli/run.js';
import { clusterToolsMissing, startRedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/redis.js';
import { FAST_RETRY, waitFor } from '../worker/harness.js';
import { stripeStack } from './stack.js';

const SECRET = 'whsec_cluster_hookgate';
const TOKEN = 'admin-token-for-cluster-tests-0123';
const stripe = new Stripe('sk_test_hookgate');

/**
 * `redis.cluster` against a real 3-master Redis Cluster, with real `hookgate serve`
 * and `hookgate worker` processes: every key of the queues, the dedupe keys, the
 * per-event delivery index and the rate-limit counter must share one hash slot (the
 * `{hash tag}` prefix), or Redis refuses BullMQ's multi-key scripts with CROSSSLOT.
 */
t.test(
  'Redis Cluster: ingress, dedupe, rate limit, delivery, dead letter and replay, readyz',
  { skip: clusterToolsMissing() },
  async (t) => {
    const cluster = await startRedisCluster(t);
    const prefix = `{${uniquePrefix('cluster')}}`;
    const { ok, failing, port, adminPort, file } = await stripeStack(t, {
      redis: { prefix, cluster: { nodes: cluster.nodes } },
      secret: SECRET,
      token: TOKEN,
      server: { shutdownTimeout: '3s' },
      rateLimit: { max: 2, window: '1m' },
    });
    const procs: RunningCli[] = [];
    t.teardown(() => procs.forEach((p) => p.child.kill('SIGKILL')));
    const [serve, worker] = await Promise.all([
      startCli(['serve', '--config', file], /hookgate serve started/),
      startCli(['worker', '--config', file], /hookgate worker started/),
    ]);
    procs.push(serve, worker);
    const ingress = `http://127.0.0.1:${port}`;
    const admin = async <T>(path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
      const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    };

    t.equal((await fetch(`${ingress}/readyz`)).status, 200, '/readyz: the cluster answers');

    // The ingress's fail-fast connection (no offline queue) is ready at the first try,
    // from one seed node: its ready check used to hit a node it had just learnt of and
    // was still connecting to, and start over, for seconds.
    const enqueue = createRedis(
      { url: 'unused', prefix, cluster: { nodes: [cluster.nodes[0]!] } },
      'enqueue',
    );
    t.teardown(() => enqueue.disconnect());
    let reconnects = 0;
    enqueue.on('reconnecting', () => reconnects++);
    enqueue.on('error', () => {});
    await new Promise((resolve) => enqueue.once('ready', resolve));
    t.equal(reconnects, 0, 'enqueue connection ready without reconnecting');

    const payload = JSON.stringify({ id: 'evt_cluster_1', object: 'event', type: 'invoice.paid' });
    const send = () =>
      fetch(`${ingress}/hooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
        },
        body: payload,
      });
    const first = await send();
    t.equal(first.status, 204, 'accepted and stored');
    const eventId = first.headers.get('hookgate-event-id')!;
    t.match(eventId, /^[0-9A-Z]{26}$/);
    const again = await send();
    t.equal(again.status, 204, 'a duplicate is acknowledged');
    t.equal(again.headers.get('hookgate-event-id'), eventId, 'with the original event id');
    const limited = await send();
    t.equal(limited.status, 429, 'past rateLimit.max (2 a minute)');
    t.match(limited.headers.get('retry-after'), /^\d+$/);
    t.match(await limited.json(), { error: { code: 'RATE_LIMITED' } });

    const [received] = await ok.waitForRequests(1);
    const envelope = JSON.parse(received!.body.toString()) as Envelope;
    t.equal(envelope.id, eventId, 'the worker delivered the event');
    t.equal(envelope.requestPayload.body, payload);

    const events = await admin<{ items: EventSummary[] }>('/admin/events?source=stripe');
    t.same(
      events.body.items.map((e) => e.id),
      [eventId],
      'stored once',
    );

    const deadId = deliveryId(eventId, 'failing');
    await waitFor('the dead letter', async () => {
      const page = await admin<DeadLetterPage>('/admin/dead-letters');
      return page.body.items.some((i) => i.id === deadId);
    });
    const dead = await admin<DeadLetter>(`/admin/dead-letters/${encodeURIComponent(deadId)}`);
    t.equal(dead.status, 200);
    t.equal(dead.body.attempts.length, FAST_RETRY.attempts, 'every attempt recorded');
    t.match(dead.body.error, /answered 500/);
    t.equal(failing.requests.length, FAST_RETRY.attempts);

    // The CLI opens its own connection to the cluster.
    const listed = await runCli(['dlq', 'list', '--json', '--config', file]);
    t.equal(listed.code, 0, listed.stderr);
    t.same(
      (JSON.parse(listed.stdout) as DeadLetterPage).items.map((i) => i.id),
      [deadId],
      'hookgate dlq list',
    );

    failing.setFallback({ status: 200 });
    const replay = await admin<{ replayed: string[] }>(
      `/admin/dead-letters/${encodeURIComponent(deadId)}/replay`,
      'POST',
    );
    t.same(replay, { status: 202, body: { replayed: [deadId] } }, 'replayed from the admin API');
    const replayed = (await failing.waitForRequests(FAST_RETRY.attempts + 1)).at(-1)!;
    t.equal((JSON.parse(replayed.body.toString()) as Envelope).id, eventId);
    const detail = await waitFor('both deliveries delivered', async () => {
      const { body } = await admin<EventDetail>(`/admin/events/${eventId}`);
      return body.status === 'delivered' && body.deliveries.every((d) => d.status === 'delivered') && body;
    });
    t.same(
      detail.deliveries.map((d) => d.destination),
      ['failing', 'ok'],
    );
    t.same((await admin<DeadLetterPage>('/admin/dead-letters')).body.items, [], 'dead-letter store empty');

    // Everything hookgate wrote is on one node, under the prefix: one hash slot.
    const holders: number[] = [];
    for (const p of cluster.ports) {
      const node = new Redis(p, '127.0.0.1', { maxRetriesPerRequest: 1 });
      const [, keys] = await node.scan('0', 'MATCH', '*', 'COUNT', 10_000);
      node.disconnect();
      if (keys.length) holders.push(p);
      t.ok(
        keys.every((k) => k.startsWith(`${prefix}:`)),
        `node ${p}: only keys under the prefix`,
      );
    }
    t.equal(holders.length, 1, 'every key on one node');

    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) t.equal((await p.done).code, 0, `${p.readyLine.slice(0, 60)}… exits 0`);
    t.equal(ok.requests.length, 1, 'delivered once');
  },
);

t.test(
  'a password in one node URL reaches every node of the cluster',
  { skip: clusterToolsMissing() },
  async (t) => {
    const cluster = await startRedisCluster(t, { password: 'pa ss:w0rd' });
    // One seed, as with a managed cluster's configuration endpoint: the other two
    // masters are learnt from the cluster and must be dialled with the password too.
    const seed = cluster.nodes[0]!;
    const intakeWriter = createIntakeWriter({
      redis: {
        url: 'unused',
        prefix: `{${uniquePrefix('cluster-auth')}}`,
        cluster: { nodes: [seed] },
      },
      retention: 60_000,
      enqueueTimeout: 5000,
    });
    t.teardown(() => intakeWriter.close());
    t.ok(await intakeWriter.ping(), 'ping');
    const record = { id: 'evt-auth-1', source: 's' } as Envelope;
    t.same(await intakeWriter.accept(record, { source: 's' }), { eventId: 'evt-auth-1', duplicate: false });

    const redis = createRedis({ url: 'unused', prefix: '{x}', cluster: { nodes: [seed] } }, 'worker');
    t.teardown(() => redis.disconnect());
    // 'a', 'b' and 'c' hash to slots 15495, 3300 and 7365: one per master.
    for (const key of ['a', 'b', 'c']) t.equal(await redis.set(key, '1'), 'OK', `key ${key}`);
  },
);

t.test('node URLs: credentials and rediss:// apply to every node', async (t) => {
  t.same(clusterRedisOptions(['redis://n1:6379', 'redis://n2:6379']), {});
  t.same(clusterRedisOptions(['n1:6379', 'redis://app:s%40cret@n2:6379']), {
    username: 'app',
    password: 's@cret',
  });
  t.same(clusterRedisOptions(['rediss://:pw@n1:6379']), { tls: {}, password: 'pw' });
});

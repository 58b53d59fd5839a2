import { readFileSync } from 'node:fs';
import t from 'tap';
import { Redis, type Cluster } from 'ioredis';
import Stripe from 'stripe';
import { createRedis } from '../../src/queue/connection.js';
import { keySlot } from '../../src/queue/replicas.js';
import { partitionIndexOf } from '../../src/record/id.js';
import type { Envelope } from '../../src/record/envelope.js';
import { startCli, type RunningCli } from '../cli/run.js';
import { clusterToolsMissing, startRedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/redis.js';
import { tlsRedisToolsMissing } from '../helpers/redis-tls.js';
import { storedEvent, storedEvents } from '../helpers/stored-events.js';
import { waitFor } from '../worker/harness.js';
import { stripeStack } from './stack.js';

const SECRET = 'whsec_cluster_failover';
const stripe = new Stripe('sk_test_hookgate');
const EVENTS = 240;
const CONCURRENCY = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `redis.ackReplicas: 1` on a real 3-master cluster with one replica each
 * (cluster-node-timeout 1 s): real `hookgate serve` and `hookgate worker`, Stripe-signed
 * traffic from a sender that retries 503s as Stripe does, and the master holding
 * hookgate's slot SIGKILLed mid-traffic, started again 3 s later (it rejoins as a
 * replica). Its replica takes over; every event that was answered 2xx is in the cluster
 * afterwards and delivered: none lost to the failover.
 */
for (const partitions of [1, 6])
  t.test(
    `cluster failover with ackReplicas 1, partitions ${partitions}: no 2xx event lost when a master is SIGKILLed`,
    { skip: clusterToolsMissing() },
    async (t) => {
      const started = Date.now();
      const cluster = await startRedisCluster(t, { size: 3, replicas: 1, nodeTimeout: 1000 });
      // With partitions the prefix has no braces; the master killed is partition 0's.
      const name = uniquePrefix('failover');
      const prefix = partitions > 1 ? name : `{${name}}`;
      const eventPrefixes =
        partitions > 1 ? Array.from({ length: partitions }, (_, i) => `{${name}:${i}}`) : [prefix];
      const { ok, port, file } = await stripeStack(t, {
        redis: { prefix, partitions, ackReplicas: 1, cluster: { nodes: cluster.nodes } },
        secret: SECRET,
        token: 'admin-token-for-failover-tests-0123',
        server: { enqueueTimeout: '1s', shutdownTimeout: '3s' },
      });
      const procs: RunningCli[] = [];
      t.teardown(() => procs.forEach((p) => p.child.kill('SIGKILL')));
      procs.push(
        ...(await Promise.all([
          startCli(['serve', '--config', file], /hookgate serve started/),
          startCli(['worker', '--config', file], /hookgate worker started/),
        ])),
      );

      t.comment(`cluster and processes up after ${Math.round((Date.now() - started) / 1000)} s`);
      const redis = createRedis(
        { url: 'unused', prefix, cluster: { nodes: cluster.nodes } },
        'worker',
      ) as Cluster;
      t.teardown(() => redis.disconnect());
      await redis.ping();
      const slot = keySlot(`${eventPrefixes[0]}:x`);
      const seed = new Redis(cluster.ports[0]!, '127.0.0.1');
      t.equal(
        Number(await seed.call('CLUSTER', 'KEYSLOT', `${eventPrefixes[0]}:x`)),
        slot,
        'keySlot is CLUSTER KEYSLOT',
      );
      seed.disconnect();
      const owner = redis.slots[slot]![0]!;
      const victim = Number(owner.split(':')[1]);
      t.ok(cluster.ports.includes(victim), `hookgate's slot ${slot} is on ${owner}`);

      // Stripe-like sender: a 503 or a refused connection is retried until a 2xx.
      const acknowledged = new Map<string, string>(); // stripe id -> hookgate id
      let refused = 0;
      let sent = 0;
      let killedAt = 0;
      const ackTimes: number[] = [];
      const send = async (i: number) => {
        const payload = JSON.stringify({ id: `evt_failover_${i}`, object: 'event', type: 'invoice.paid' });
        for (;;) {
          const res = await fetch(`http://127.0.0.1:${port}/hooks/stripe`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
            },
            body: payload,
          }).catch(() => undefined);
          if (res?.status === 204) {
            ackTimes.push(Date.now());
            acknowledged.set(`evt_failover_${i}`, res.headers.get('hookgate-event-id')!);
            return;
          }
          refused++;
          await sleep(100);
        }
      };
      let next = 0;
      await Promise.all([
        ...Array.from({ length: CONCURRENCY }, async () => {
          while (next < EVENTS) {
            const i = next++;
            await send(i);
            sent++;
            await sleep(10);
          }
        }),
        (async () => {
          while (sent < EVENTS / 3) await sleep(10);
          killedAt = Date.now();
          await cluster.kill(victim);
          // As ElastiCache replaces a failed node: it comes back as the new master's
          // replica. Until then the new master has no replica, and ackReplicas 1 refuses.
          await sleep(3000);
          await cluster.restart(victim);
        })(),
      ]);
      t.equal(acknowledged.size, EVENTS, 'every event answered 2xx in the end');
      // The longest stretch without a 2xx after the kill: the failover as senders saw it.
      const after = [killedAt, ...ackTimes.filter((x) => x > killedAt)];
      const gap = Math.max(...after.slice(1).map((x, i) => x - after[i]!));
      t.ok(gap < 15_000, `no 2xx for ${gap} ms after the kill (failover)`);
      t.comment(
        `${refused} refusals (503 or connection) while the replica took over; ` +
          `killed ${Math.round((killedAt - started) / 1000)} s into the test, traffic done ${Math.round((Date.now() - started) / 1000)} s`,
      );

      // The replica holds the slot now.
      await waitFor('the slot on a promoted replica', async () => {
        await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
        const now = redis.slots[slot]?.[0];
        return now !== undefined && now !== owner;
      });
      const stored = new Map(
        (await Promise.all(eventPrefixes.map((p) => storedEvents(redis, p))))
          .flat()
          .map((e) => [e.eventId, e]),
      );
      const missing = [...acknowledged.values()].filter((id) => !stored.has(id));
      t.same(missing, [], 'every 2xx event is in the cluster after the failover');

      const undelivered = () => {
        const delivered = new Set(ok.requests.map((r) => (JSON.parse(r.body.toString()) as Envelope).id));
        return [...acknowledged.values()].filter((id) => !delivered.has(id));
      };
      await waitFor('every 2xx event delivered', () => undelivered().length === 0, 30_000).catch(() => {});
      const late = undelivered();
      if (late.length) {
        const marks = await Promise.all(
          late
            .slice(0, 5)
            .map((id) => storedEvent(redis, eventPrefixes[partitionIndexOf(id, partitions) ?? 0]!, id)),
        );
        t.comment(`undelivered: ${late.length}; first marks: ${JSON.stringify(marks.map((m) => m?.marks))}`);
      }
      t.same(late, [], 'every 2xx event delivered');
      t.comment(`run took ${Math.round((Date.now() - started) / 1000)} s`);
    },
  );

/**
 * The shape of ElastiCache cluster mode with replicas: TLS only, AUTH, nodes announced
 * by host name (so CLUSTER SLOTS names `localhost`, and the WAIT must find the node
 * connection by that name), one seed; `ackReplicas: 1` accepts and the event is on a
 * replica by the time of the 2xx.
 */
t.test(
  'ackReplicas 1 over TLS + AUTH with host-name nodes, one seed (ElastiCache cluster mode)',
  { skip: clusterToolsMissing() ?? tlsRedisToolsMissing() },
  async (t) => {
    const password = 'tls-replicas-pw';
    const cluster = await startRedisCluster(t, { password, tls: true, replicas: 1 });
    const prefix = `{${uniquePrefix('failover-tls')}}`;
    const { port, file } = await stripeStack(t, {
      redis: { prefix, ackReplicas: 1, cluster: { nodes: [cluster.nodes[0]!] } },
      secret: SECRET,
      token: 'admin-token-for-failover-tls-tests-0',
    });
    const serve = await startCli(['serve', '--config', file], /hookgate serve started/, {
      env: { NODE_EXTRA_CA_CERTS: cluster.caFile! },
    });
    t.teardown(() => serve.child.kill('SIGKILL'));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const payload = JSON.stringify({ id: `evt_failover_tls_${i}`, object: 'event', type: 'invoice.paid' });
      const res = await fetch(`http://127.0.0.1:${port}/hooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
        },
        body: payload,
      });
      t.equal(res.status, 204, `event ${i} accepted`);
      ids.push(res.headers.get('hookgate-event-id')!);
    }
    // Every replica that holds the slot has every event (READONLY reads on each node).
    const ca = readFileSync(cluster.caFile!);
    let onReplicas = 0;
    for (const p of cluster.ports) {
      const node = new Redis(p, 'localhost', { password, tls: { ca }, maxRetriesPerRequest: 1 });
      const role = String(((await node.call('ROLE')) as unknown[])[0]);
      if (role === 'slave') {
        await node.call('READONLY');
        const [, keys] = await node.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
        if (keys.length) {
          onReplicas++;
          for (const id of ids)
            t.ok(
              keys.some((k) => k.endsWith(id)),
              `${id} on the replica ${p}`,
            );
        }
      }
      node.disconnect();
    }
    t.equal(onReplicas, 1, "the slot's one replica has them");
    serve.child.kill('SIGTERM');
    t.equal((await serve.done).code, 0);
  },
);

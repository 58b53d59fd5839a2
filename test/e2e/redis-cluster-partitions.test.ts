import t from 'tap';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { createEventHistory } from '../../src/events/index.js';
import { openStore } from '../../src/queue/delivery-queues.js';
import type { Envelope } from '../../src/record/envelope.js';
import { startWorkerRuntime } from '../../src/worker/runtime.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { clusterToolsMissing, startRedisCluster } from '../helpers/redis-cluster.js';
import { STRIPE_SECRET, stripeGateway } from '../ingress/harness.js';
import { FAST_RETRY, waitFor } from '../worker/harness.js';

/**
 * `redis.partitions: 6` on a real 3-master Redis Cluster: the per-event keys spread
 * over every master (the prefix `hookgate` with 6 partitions: the tags
 * `{hookgate:0}` … `{hookgate:5}` hash to slots 2 per master of an evenly split
 * cluster), the shared keys (queues, controls) under `{hookgate}`, and everything
 * works across slots: two gateways dedupe, a worker delivers every event, the
 * history lists and finds them.
 */
t.test(
  'partitions: 6 on a 3-master cluster: events spread over every master, dedupe, delivery, history',
  { skip: clusterToolsMissing() },
  async (t) => {
    const cluster = await startRedisCluster(t);
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const config = validateConfig(
      {
        redis: { prefix: 'hookgate', partitions: 6, cluster: { nodes: cluster.nodes } },
        sources: {
          stripe: { verify: { type: 'stripe', secrets: [STRIPE_SECRET] }, routes: [{ to: 'rx' }] },
        },
        destinations: { rx: { type: 'http', url: rx.url } },
        defaults: { retry: FAST_RETRY, concurrency: 16 },
        logLevel: 'silent',
      },
      { env: {} },
    );
    const gateways = [await stripeGateway(t, config), await stripeGateway(t, config)];
    const send = (gw: number, key: string) => gateways[gw]!.send(key);

    const worker = startWorkerRuntime(config, { sampleEveryMs: 0, sweepEveryMs: 0, controlsEveryMs: 100 });
    t.teardown(() => worker.close(2000));
    const accepted = new Set<string>();
    // Fixed keys: the same spread every run.
    const EVENTS = 600;
    for (let i = 0; i < EVENTS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => send((i + j) % 2, `evt_cluster_${i + j}`)),
      );
      for (const r of batch) {
        t.equal(r.status, 204);
        accepted.add(r.id);
      }
    }
    t.equal(accepted.size, EVENTS);
    // The provider retries, at the other gateway: answered with the first event's id.
    const again = await send(1, 'evt_cluster_7');
    t.ok(accepted.has(again.id), 'a retry at the other gateway is a duplicate');

    await rx.waitForRequests(EVENTS, 60_000);
    const delivered = new Set(rx.requests.map((r) => (JSON.parse(r.body.toString()) as Envelope).id));
    t.same([...delivered].sort(), [...accepted].sort(), 'every accepted event delivered');

    // Each master's share of the events' keys: its partitions' intake entries and records.
    const masters = await Promise.all(
      cluster.nodes.map(async (url) => {
        const node = new Redis(url);
        t.teardown(() => node.disconnect());
        const role = (await node.call('ROLE')) as [string];
        return role[0] === 'master' ? node : undefined;
      }),
    );
    const perMaster: { intake: number; records: number }[] = [];
    for (const node of masters) {
      if (!node) continue;
      let intake = 0;
      for (let i = 0; i < 6; i++) {
        const key = `{hookgate:${i}}:hg:in`;
        // The key's slot is this node's when it answers without MOVED.
        intake += await node.xlen(key).catch(() => 0);
      }
      let records = 0;
      for (let cursor = '0'; ;) {
        const [next, keys] = await node.scan(cursor, 'MATCH', '{hookgate:*}:hg:e:*', 'COUNT', 1000);
        records += keys.length;
        cursor = next;
        if (cursor === '0') break;
      }
      perMaster.push({ intake, records });
    }
    t.equal(perMaster.length, 3, 'three masters');
    t.comment(`per master: ${JSON.stringify(perMaster)}`);
    t.equal(
      perMaster.reduce((n, m) => n + m.intake, 0),
      EVENTS,
      'every intake entry on some master',
    );
    for (const m of perMaster) {
      t.ok(
        Math.abs(m.intake - EVENTS / 3) <= 0.2 * (EVENTS / 3),
        `a master holds ${m.intake} of ${EVENTS} events: within 20% of a third`,
      );
      t.ok(Math.abs(m.records - m.intake) <= 0.2 * m.intake, `and their records (${m.records})`);
    }

    // One history over every partition.
    const store = openStore(config);
    t.teardown(() => store.close());
    const events = createEventHistory(store, config);
    await waitFor('delivered', async () => (await events.get('evt_cluster_42'))?.status === 'delivered');
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await events.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      listed.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    t.equal(new Set(listed).size, EVENTS, 'every event listed once');
  },
);

import t from 'tap';
import type { Test } from 'tap';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/schema.js';
import { createEventHistory } from '../../src/events/index.js';
import { destinationControls } from '../../src/queue/controls.js';
import { openStore } from '../../src/queue/delivery-queues.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import { choosePartition, dedupePartition, layoutOf } from '../../src/queue/keys.js';
import type { Envelope } from '../../src/record/envelope.js';
import { newEventId, partitionIndexOf } from '../../src/record/id.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker/runtime.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { dropPrefix, REDIS_URL } from '../helpers/redis.js';
import { sampleRecord } from '../destinations/record.js';
import { STRIPE_SECRET, stripeGateway } from '../ingress/harness.js';
import { testConfig, waitFor } from './harness.js';

const idOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as Envelope).id;

/** A config on a fresh prefix with `partitions`, one Stripe source routed to `rx`. */
function partitioned(
  rx: HttpReceiver,
  partitions: number,
  prefix?: string,
  destination: Record<string, unknown> = {},
): Config {
  const config = testConfig(
    {
      redis: { partitions },
      sources: {
        stripe: { verify: { type: 'stripe', secrets: [STRIPE_SECRET] }, routes: [{ to: 'rx' }] },
      },
      destinations: { rx: { type: 'http', url: rx.url, ...destination } },
      defaults: { concurrency: 8 },
    },
    'partitions',
  );
  return prefix ? { ...config, redis: { ...config.redis, prefix } } : config;
}

/** Drops the install's keys: the global prefix's and every partition's (`{<prefix>:i}`). */
function cleanup(t: Test, prefix: string): void {
  t.teardown(async () => {
    await dropPrefix(prefix);
    await dropPrefix(`{${prefix}`);
  });
}

/** A real ingress, as `hookgate serve` runs it. */
const gateway = stripeGateway;

function worker(t: Test, config: Config): WorkerRuntime {
  const w = startWorkerRuntime(config, { sampleEveryMs: 0, sweepEveryMs: 0, controlsEveryMs: 100 });
  t.teardown(() => w.close(2000));
  return w;
}

/** Entries per partition's intake stream. */
async function perPartition(redis: Redis, config: Config, count: number): Promise<number[]> {
  return Promise.all(layoutOf(config.redis, count).map((p) => redis.xlen(p.keys.intake)));
}

t.test('an event id names its partition; a plain ULID names none beyond its layout', async (t) => {
  for (const count of [2, 6, 1024]) {
    for (const index of [0, 1, count - 1]) {
      const id = newEventId(Date.now(), { index, count });
      t.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'still a ULID');
      t.equal(partitionIndexOf(id, count), index, `partition ${index} of ${count}`);
    }
  }
  // Monotonic and unique within one millisecond, partition characters aside.
  const now = Date.now();
  const ids = Array.from({ length: 2000 }, (_, i) => newEventId(now, { index: i % 6, count: 6 }));
  t.equal(new Set(ids).size, ids.length, 'unique');
  t.ok(
    ids.every((id, i) => i === 0 || id.slice(0, 24) > ids[i - 1]!.slice(0, 24)),
    'in order within the millisecond',
  );
  t.equal(choosePartition('stripe', 'evt_1', 6), dedupePartition('stripe', 'evt_1', 6), 'by dedupe key');
  t.equal(choosePartition('stripe', undefined, 1), 0);
});

t.test(
  'partitions: 4 on one Redis: dedupe holds across two gateways, events spread, every one delivered, one history',
  async (t) => {
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const config = partitioned(rx, 4);
    cleanup(t, config.redis.prefix);
    const a = await gateway(t, config);
    const b = await gateway(t, config);
    const redis = new Redis(REDIS_URL);
    t.teardown(() => redis.disconnect());

    const accepted = new Map<string, string>();
    for (let i = 0; i < 80; i++) {
      const key = `evt_part_${i}`;
      const first = await (i % 2 ? a : b).send(key, i % 3 ? 'invoice.paid' : 'charge.refunded');
      t.equal(first.status, 204);
      // The provider's retry lands on the other gateway: the same event, not a second one.
      const retry = await (i % 2 ? b : a).send(key);
      t.equal(retry.status, 204);
      t.equal(retry.id, first.id, `${key}: the retry is answered with the first event's id`);
      accepted.set(first.id, key);
    }
    const spread = await perPartition(redis, config, 4);
    t.equal(
      spread.reduce((x, y) => x + y, 0),
      80,
      `one intake entry per event, none for a retry (${spread.join('/')})`,
    );
    t.ok(
      spread.every((n) => n > 0),
      `every partition holds events (${spread.join('/')})`,
    );
    for (const [id, key] of accepted)
      t.equal(partitionIndexOf(id, 4), dedupePartition('stripe', key, 4), 'in its dedupe key’s partition');
    t.equal(await redis.exists(`${config.redis.prefix}:hg:in`), 0, 'nothing in the unpartitioned layout');

    worker(t, config);
    await rx.waitForRequests(80, 30_000);
    const got = new Set(rx.requests.map((r) => idOf(r.body)));
    t.same([...got].sort(), [...accepted.keys()].sort(), 'every accepted event delivered');
    t.equal(rx.requests.length, 80, 'each once');

    // The history sees every partition as one: paged newest first, no event twice or missing.
    const store = openStore(config);
    t.teardown(() => store.close());
    const events = createEventHistory(store, config);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await events.list({ limit: 7, ...(cursor ? { cursor } : {}) });
      listed.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    t.equal(listed.length, 80, 'every event listed once over the pages');
    t.same([...listed].sort(), [...accepted.keys()].sort());
    const times = listed.map((id) => id.slice(0, 10));
    t.ok(
      times.every((x, i) => i === 0 || x <= times[i - 1]!),
      'newest first across partitions',
    );
    const typed = await events.list({ type: 'charge.refunded', limit: 100 });
    t.equal(typed.items.length, 27, 'a filter over every partition');
    const [someId, someKey] = [...accepted][5]!;
    t.equal((await events.get(someId))?.id, someId, 'found by id');
    t.equal((await events.get(someKey))?.id, someId, 'found by dedupe key');
    await waitFor('delivered status', async () => (await events.get(someId))?.status === 'delivered');
  },
);

t.test('a backlog in one partition does not starve another', async (t) => {
  // A receiver that takes 20 ms per request and a worker with room for 4 events at a
  // time: 300 events wait in partition 0, then 12 arrive in partition 1. Read in
  // turns, partition 1's are delivered long before partition 0's backlog is done.
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const config = partitioned(rx, 2);
  config.worker.concurrency = 4;
  cleanup(t, config.redis.prefix);
  const intake = createIntakeWriter({ redis: config.redis, retention: 3_600_000, enqueueTimeout: 5000 });
  t.teardown(() => intake.close());
  const make = (index: number) => {
    const r = sampleRecord();
    return { ...r, id: newEventId(Date.now(), { index, count: 2 }) };
  };
  const backlog = Array.from({ length: 300 }, () => make(0));
  for (const r of backlog) await intake.accept(r, { source: r.source });
  worker(t, config);
  await rx.waitForRequests(10, 15_000);
  const late = Array.from({ length: 12 }, () => make(1));
  for (const r of late) await intake.accept(r, { source: r.source });
  const lateIds = new Set(late.map((r) => r.id));
  await waitFor('the late events delivered', () => {
    const got = rx.requests.filter((r) => lateIds.has(idOf(r.body))).length;
    return got === late.length;
  });
  const backlogDone = rx.requests.filter((r) => !lateIds.has(idOf(r.body))).length;
  t.ok(
    backlogDone < 300,
    `partition 1's events arrived while partition 0 still had a backlog (${backlogDone}/300 done)`,
  );
  await rx.waitForRequests(312, 60_000);
  t.equal(new Set(rx.requests.map((r) => idOf(r.body))).size, 312, 'then everything');
});

t.test('pause and rateLimit hold across partitions', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const config = partitioned(rx, 4, undefined, { rateLimit: { max: 5, window: '1s' } });
  cleanup(t, config.redis.prefix);
  const gw = await gateway(t, config);
  const store = openStore(config);
  t.teardown(() => store.close());
  await destinationControls(store).pause('rx');
  worker(t, config);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push((await gw.send(`evt_pause_${i}`)).id);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  t.ok(
    (await perPartition(redis, config, 4)).filter((n) => n > 0).length > 1,
    'the events are in several partitions',
  );
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(rx.requests.length, 0, 'paused: nothing delivered from any partition');
  await destinationControls(store).resume('rx');
  await rx.waitForRequests(20, 30_000);
  t.same(new Set(rx.requests.map((r) => idOf(r.body))), new Set(ids), 'resumed: every event delivered');
  // The limiter is the destination's, whatever partition an event came from: no 6
  // arrivals within one window. The limiter counts starts, the receiver arrivals, so
  // 100 ms of delivery jitter is allowed (the first request of a run also opens its
  // connection, and arrives late against the limiter's window).
  const at = rx.requests.map((r) => r.at).sort((a, b) => a - b);
  const spans = at.slice(5).map((t6, i) => t6 - at[i]!);
  t.ok(
    spans.every((ms) => ms >= 900),
    `any 6 arrivals span at least 900 ms of the 1 s window (shortest ${Math.min(...spans)} ms)`,
  );
});

t.test('changing partitions on a live install loses nothing: 1 -> 4 -> 1', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const one = partitioned(rx, 1);
  const prefix = one.redis.prefix;
  const four = partitioned(rx, 4, prefix);
  cleanup(t, prefix);

  // Events accepted under partitions: 1 that no worker has read yet.
  const old = await gateway(t, one);
  const before: string[] = [];
  for (let i = 0; i < 30; i++) before.push((await old.send(`evt_before_${i}`)).id);
  // The config changes to 4: new gateways and workers; the old layout still has its events.
  const now = await gateway(t, four);
  const after: string[] = [];
  for (let i = 0; i < 30; i++) after.push((await now.send(`evt_after_${i}`)).id);
  const w4 = worker(t, four);
  await rx.waitForRequests(60, 30_000);
  t.same(
    new Set(rx.requests.map((r) => idOf(r.body))),
    new Set([...before, ...after]),
    'a worker of the new layout delivers the old layout’s events too',
  );

  // And back to 1: what a partitions: 4 gateway accepted while no worker ran is drained.
  const three = await gateway(t, four);
  const pending: string[] = [];
  const store4 = openStore(four);
  t.teardown(() => store4.close());
  // No worker of layout 4 runs now: only a layout-1 worker is left to drain them.
  await w4.close(2000);
  for (let i = 0; i < 30; i++) pending.push((await three.send(`evt_back_${i}`)).id);
  const w1 = startWorkerRuntime(one, { sampleEveryMs: 0, sweepEveryMs: 0, controlsEveryMs: 100 });
  t.teardown(() => w1.close(2000));
  await rx.waitForRequests(90, 30_000);
  const got = new Set(rx.requests.map((r) => idOf(r.body)));
  t.ok(
    pending.every((id) => got.has(id)),
    'every event of the 4-partition layout delivered',
  );
  // Found by id from either config's view.
  const history1 = createEventHistory(store4, one);
  t.equal((await history1.get(pending[3]!))?.id, pending[3]);
  const store1 = openStore(one);
  t.teardown(() => store1.close());
  const viaOne = createEventHistory(store1, one);
  t.equal((await viaOne.get(after[2]!))?.id, after[2], 'a layout-1 view finds a partitioned event by id');
  t.equal((await viaOne.get('evt_after_2'))?.id, after[2], 'and by dedupe key');
  const listed = await viaOne.list({ limit: 200 });
  t.equal(listed.items.length, 90, 'and lists every layout’s events');
});

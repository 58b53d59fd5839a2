import t from 'tap';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createEventStore, StoreUnavailableError } from '../../src/queue/event-store.js';
import { dedupeRedisKey, defineDedupeCommands, releaseDedupeKey } from '../../src/queue/dedupe.js';
import { EVENTS_QUEUE } from '../../src/queue/names.js';
import type { EventJobData } from '../../src/queue/jobs.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, startRedisServer } from '../helpers/redis-server.js';
import { sampleRecord } from './record-fixture.js';

const DAY = 86_400_000;

async function setup(t: { teardown(fn: () => unknown): void }, url = REDIS_URL, enqueueTimeout = 2000) {
  const prefix = uniquePrefix('store');
  const store = createEventStore({ redis: { url, prefix }, retention: 3 * DAY, enqueueTimeout });
  const queue = new Queue<EventJobData>(EVENTS_QUEUE, { connection: { url }, prefix });
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  t.teardown(async () => {
    await store.close();
    await queue.close();
    redis.disconnect();
    await dropPrefix(prefix, url);
  });
  return { prefix, store, queue, redis };
}

t.test('accept stores one job: id = event id, name = source, data = { record }', async (t) => {
  const { store, queue } = await setup(t);
  const record = sampleRecord('stripe');
  const res = await store.accept(record, { source: 'stripe' });
  t.same(res, { eventId: record.id, duplicate: false });
  const job = await queue.getJob(record.id);
  t.ok(job);
  t.equal(job!.name, 'stripe');
  t.same(job!.data, { record });
  t.same(job!.opts.removeOnComplete, { age: 3 * 86_400 });
  t.same(job!.opts.removeOnFail, { age: 3 * 86_400 });
});

t.test('a duplicate returns the original id and is not enqueued', async (t) => {
  const { store, queue, redis, prefix } = await setup(t);
  const first = sampleRecord();
  const second = sampleRecord();
  t.same(await store.accept(first, { source: 'stripe', dedupeKey: 'evt_1' }), {
    eventId: first.id,
    duplicate: false,
  });
  t.same(await store.accept(second, { source: 'stripe', dedupeKey: 'evt_1' }), {
    eventId: first.id,
    duplicate: true,
  });
  t.equal(await queue.count(), 1);
  t.equal(await queue.getJob(second.id), undefined);
  t.equal(await redis.get(dedupeRedisKey(prefix, 'stripe', 'evt_1')), first.id);
  const ttl = await redis.pttl(dedupeRedisKey(prefix, 'stripe', 'evt_1'));
  t.ok(ttl > 2 * DAY && ttl <= 3 * DAY, 'the key lives for retention.events');
  // Keys are per source.
  const other = sampleRecord('github');
  t.same(await store.accept(other, { source: 'github', dedupeKey: 'evt_1' }), {
    eventId: other.id,
    duplicate: false,
  });
});

t.test(
  'a claimed key whose job is missing: 503 while it may be in flight, taken over once stale',
  async (t) => {
    const { store, queue, redis, prefix } = await setup(t, REDIS_URL, 1000);
    const key = dedupeRedisKey(prefix, 'stripe', 'evt_lost');
    await redis.set(key, 'lost-event-id', 'PX', 3 * DAY);
    const rec = sampleRecord();
    const err = await store.accept(rec, { source: 'stripe', dedupeKey: 'evt_lost' }).catch((e: unknown) => e);
    t.type(err, StoreUnavailableError);
    t.equal((err as StoreUnavailableError).reason, 'in-flight');
    t.equal(await queue.count(), 0);

    // Claimed longer ago than the in-flight window (2 x enqueueTimeout) and still no job.
    await redis.set(key, 'lost-event-id', 'PX', 3 * DAY - 5000);
    t.same(await store.accept(rec, { source: 'stripe', dedupeKey: 'evt_lost' }), {
      eventId: rec.id,
      duplicate: false,
    });
    t.equal(await redis.get(key), rec.id);
    t.ok(await queue.getJob(rec.id));
  },
);

t.test('release only deletes a key that still names the event', async (t) => {
  const { redis, prefix } = await setup(t);
  defineDedupeCommands(redis);
  const key = dedupeRedisKey(prefix, 's', 'k');
  await redis.set(key, 'mine');
  await releaseDedupeKey(redis, key, 'other');
  t.equal(await redis.get(key), 'mine');
  await releaseDedupeKey(redis, key, 'mine');
  t.equal(await redis.get(key), null);
});

t.test('long dedupe keys are hashed', async (t) => {
  const long = 'x'.repeat(500);
  t.match(dedupeRedisKey('p', 's', long), /^p:dedupe:s:sha256:[0-9a-f]{64}$/);
  t.equal(dedupeRedisKey('p', 's', 'evt_1'), 'p:dedupe:s:evt_1');
});

t.test('no Redis at all: accept rejects within the budget, ping is false', async (t) => {
  const port = await freePort();
  const prefix = uniquePrefix('store');
  const store = createEventStore({
    redis: { url: `redis://127.0.0.1:${port}`, prefix },
    retention: DAY,
    enqueueTimeout: 300,
  });
  t.teardown(() => store.close());
  const err = await store.accept(sampleRecord(), { source: 's', dedupeKey: 'k' }).catch((e: unknown) => e);
  t.type(err, StoreUnavailableError);
  t.equal(await store.ping(), false);
});

t.test('Redis killed and restarted: fails, then recovers without a new store', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.destroy());
  const { store, queue } = await setup(t, server.url, 1000);
  const before = sampleRecord();
  await store.accept(before, { source: 's', dedupeKey: 'a' });
  t.equal(await store.ping(), true);

  await server.kill();
  const err = await store.accept(sampleRecord(), { source: 's', dedupeKey: 'b' }).catch((e: unknown) => e);
  t.type(err, StoreUnavailableError);
  t.equal(await store.ping(), false);

  await server.start();
  // ioredis reconnects on its own schedule; poll until the store takes writes again.
  const after = sampleRecord();
  let res;
  for (let i = 0; i < 100 && !res; i++) {
    res = await store.accept(after, { source: 's', dedupeKey: 'c' }).catch(() => undefined);
    if (!res) await new Promise((r) => setTimeout(r, 100));
  }
  t.same(res, { eventId: after.id, duplicate: false });
  t.ok(await queue.getJob(before.id), 'acknowledged before the crash: still stored');
  t.ok(await queue.getJob(after.id));
});

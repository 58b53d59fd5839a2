import t from 'tap';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createEventStore, StoreUnavailableError } from '../../src/queue/event-store.js';
import { dedupeId } from '../../src/queue/dedupe.js';
import { EVENTS_QUEUE } from '../../src/queue/names.js';
import type { EventJobData } from '../../src/queue/jobs.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, startRedisServer } from '../helpers/redis-server.js';
import { sampleRecord } from '../destinations/record.js';

const DAY = 86_400_000;

function setup(t: { teardown(fn: () => unknown): void }, url = REDIS_URL, enqueueTimeout = 2000) {
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
  const { store, queue } = setup(t);
  const record = sampleRecord({ source: 'stripe' });
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
  const { store, queue, redis, prefix } = setup(t);
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
  const key = `${prefix}:events:de:stripe:evt_1`;
  t.equal(await redis.get(key), first.id);
  const ttl = await redis.pttl(key);
  t.ok(ttl > 2 * DAY && ttl <= 3 * DAY, 'the key lives for retention.events');
  // Keys are per source.
  const other = sampleRecord({ source: 'github' });
  t.same(await store.accept(other, { source: 'github', dedupeKey: 'evt_1' }), {
    eventId: other.id,
    duplicate: false,
  });
  // Without a key nothing is deduped.
  await store.accept(sampleRecord(), { source: 'stripe' });
  await store.accept(sampleRecord(), { source: 'stripe' });
  t.equal(await queue.count(), 4);
});

t.test('a duplicate of a job that is gone is a new event', async (t) => {
  const { store, queue } = setup(t);
  const first = sampleRecord();
  await store.accept(first, { source: 'stripe', dedupeKey: 'evt_gone' });
  await (await queue.getJob(first.id))!.remove();
  const again = sampleRecord();
  t.same(await store.accept(again, { source: 'stripe', dedupeKey: 'evt_gone' }), {
    eventId: again.id,
    duplicate: false,
  });
});

t.test('long dedupe keys are hashed', async (t) => {
  t.match(dedupeId('s', 'x'.repeat(500)), /^s:sha256:[0-9a-f]{64}$/);
  t.equal(dedupeId('s', 'evt_1'), 's:evt_1');
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
  const { store, queue } = setup(t, server.url, 1000);
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

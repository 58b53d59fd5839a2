import t from 'tap';
import { Redis } from 'ioredis';
import { createIntakeWriter, StoreUnavailableError } from '../../src/queue/intake-writer.js';
import { dedupePart, eventKeys } from '../../src/queue/keys.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, startRedisServer } from '../helpers/redis-server.js';
import { storedEvent, storedEvents } from '../helpers/stored-events.js';
import { sampleRecord } from '../destinations/record.js';

const DAY = 86_400_000;

async function setup(
  t: { teardown(fn: () => unknown): void },
  url = REDIS_URL,
  enqueueTimeout = 2000,
  dedupeRetention?: number,
) {
  const prefix = uniquePrefix('store');
  const writer = createIntakeWriter({
    redis: { url, prefix },
    retention: 3 * DAY,
    enqueueTimeout,
    ...(dedupeRetention !== undefined ? { dedupeRetention } : {}),
  });
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  t.teardown(async () => {
    await writer.close();
    redis.disconnect();
    await dropPrefix(prefix, url);
  });
  return { prefix, writer, redis, keys: eventKeys(prefix), stored: () => storedEvents(redis, prefix) };
}

t.test(
  'accept stores the record once under its id, with one intake entry, kept retention.events',
  async (t) => {
    const { writer, redis, keys, stored } = await setup(t);
    const record = sampleRecord({ source: 'stripe' });
    const res = await writer.accept(record, {
      source: 'stripe',
      dedupeKey: 'evt_a',
      eventType: 'invoice.paid',
    });
    t.same(res, { eventId: record.id, duplicate: false });
    const entries = await stored();
    t.equal(entries.length, 1);
    t.match(entries[0], { eventId: record.id, source: 'stripe', type: 'invoice.paid', dedupeKey: 'evt_a' });
    t.same(entries[0]!.record, record, 'the record as accepted');
    t.notOk(entries[0]!.marks, 'not routed yet');
    const ttl = await redis.pttl(keys.record(record.id));
    t.ok(ttl > 2 * DAY && ttl <= 3 * DAY, 'the record lives for retention.events');
    // Without a type or dedupe key the entry carries neither.
    const plain = sampleRecord({ source: 'github' });
    await writer.accept(plain, { source: 'github' });
    const second = (await stored())[1]!;
    t.equal(second.eventId, plain.id);
    t.equal(second.type, undefined);
    t.equal(second.dedupeKey, undefined);
  },
);

t.test('a duplicate returns the original id and is not stored again', async (t) => {
  const { writer, redis, keys, stored, prefix } = await setup(t);
  const first = sampleRecord();
  const second = sampleRecord();
  t.same(await writer.accept(first, { source: 'stripe', dedupeKey: 'evt_1' }), {
    eventId: first.id,
    duplicate: false,
  });
  t.same(await writer.accept(second, { source: 'stripe', dedupeKey: 'evt_1' }), {
    eventId: first.id,
    duplicate: true,
  });
  t.same(
    (await stored()).map((e) => e.eventId),
    [first.id],
  );
  t.equal(await storedEvent(redis, prefix, second.id), undefined);
  const key = keys.dedupe('stripe', 'evt_1');
  t.match(key, /:hg:dd:stripe:evt_1$/);
  t.equal(await redis.get(key), first.id);
  const ttl = await redis.pttl(key);
  t.ok(ttl > 2 * DAY && ttl <= 3 * DAY, 'retention.dedupe defaults to retention.events');
  // Keys are per source.
  const other = sampleRecord({ source: 'github' });
  t.same(await writer.accept(other, { source: 'github', dedupeKey: 'evt_1' }), {
    eventId: other.id,
    duplicate: false,
  });
  // Without a key nothing is deduped.
  await writer.accept(sampleRecord(), { source: 'stripe' });
  await writer.accept(sampleRecord(), { source: 'stripe' });
  t.equal((await stored()).length, 4);
});

t.test('the dedupe window is retention.dedupe: once it has passed, the same id is a new event', async (t) => {
  const { writer, redis, keys } = await setup(t, REDIS_URL, 2000, DAY);
  const first = sampleRecord();
  await writer.accept(first, { source: 'stripe', dedupeKey: 'evt_window' });
  const key = keys.dedupe('stripe', 'evt_window');
  const ttl = await redis.pttl(key);
  t.ok(ttl > 0 && ttl <= DAY, 'the dedupe key lives retention.dedupe');
  t.ok((await redis.pttl(keys.record(first.id))) > 2 * DAY, 'the record its own retention');
  // What expiry does, without waiting a day.
  await redis.del(key);
  const again = sampleRecord();
  t.same(await writer.accept(again, { source: 'stripe', dedupeKey: 'evt_window' }), {
    eventId: again.id,
    duplicate: false,
  });
});

t.test('long dedupe keys are hashed, and still dedupe', async (t) => {
  t.match(dedupePart('x'.repeat(500)), /^sha256:[0-9a-f]{64}$/);
  t.equal(dedupePart('evt_1'), 'evt_1');
  const { writer, redis, keys } = await setup(t);
  const long = 'k'.repeat(5000);
  const first = sampleRecord();
  await writer.accept(first, { source: 's', dedupeKey: long });
  t.match(keys.dedupe('s', long), /:hg:dd:s:sha256:[0-9a-f]{64}$/);
  t.equal(await redis.get(keys.dedupe('s', long)), first.id);
  t.same(await writer.accept(sampleRecord(), { source: 's', dedupeKey: long }), {
    eventId: first.id,
    duplicate: true,
  });
});

t.test('no Redis at all: accept rejects within the budget, ping is false', async (t) => {
  const port = await freePort();
  const prefix = uniquePrefix('store');
  const writer = createIntakeWriter({
    redis: { url: `redis://127.0.0.1:${port}`, prefix },
    retention: DAY,
    enqueueTimeout: 300,
  });
  t.teardown(() => writer.close());
  const err = await writer.accept(sampleRecord(), { source: 's', dedupeKey: 'k' }).catch((e: unknown) => e);
  t.type(err, StoreUnavailableError);
  t.equal(await writer.ping(), false);
});

t.test('Redis killed and restarted: fails, then recovers without a new writer', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.destroy());
  const { writer, stored } = await setup(t, server.url, 1000);
  const before = sampleRecord();
  await writer.accept(before, { source: 's', dedupeKey: 'a' });
  t.equal(await writer.ping(), true);

  await server.kill();
  const err = await writer.accept(sampleRecord(), { source: 's', dedupeKey: 'b' }).catch((e: unknown) => e);
  t.type(err, StoreUnavailableError);
  t.equal(await writer.ping(), false);

  await server.start();
  // ioredis reconnects on its own schedule; poll until the writer takes writes again.
  const after = sampleRecord();
  let res;
  for (let i = 0; i < 100 && !res; i++) {
    res = await writer.accept(after, { source: 's', dedupeKey: 'c' }).catch(() => undefined);
    if (!res) await new Promise((r) => setTimeout(r, 100));
  }
  t.same(res, { eventId: after.id, duplicate: false });
  const ids = (await stored()).map((e) => e.eventId);
  t.ok(ids.includes(before.id), 'acknowledged before the crash: still stored');
  t.ok(ids.includes(after.id));
});

t.test('events accepted in one turn are written together, each with its own outcome', async (t) => {
  const { writer, redis, keys, stored } = await setup(t);
  // 250 in one turn: more than one script call's worth; with and without dedupe keys,
  // and two re-sends of an event inside the same turn.
  const records = Array.from({ length: 250 }, () => sampleRecord({ source: 'stripe' }));
  const results = await Promise.all(
    records.map((record, i) =>
      writer.accept(record, {
        source: 'stripe',
        ...(i % 5 === 0 ? {} : { dedupeKey: `evt_turn_${i % 120}` }),
      }),
    ),
  );
  const firstWithKey = new Map<string, string>();
  records.forEach((record, i) => {
    if (i % 5 === 0) return t.same(results[i], { eventId: record.id, duplicate: false });
    const key = `evt_turn_${i % 120}`;
    const first = firstWithKey.get(key);
    if (!first) {
      firstWithKey.set(key, record.id);
      return t.same(results[i], { eventId: record.id, duplicate: false }, `first of ${key} stored`);
    }
    t.same(results[i], { eventId: first, duplicate: true }, `a later ${key} is a duplicate of the first`);
  });
  const kept = results.filter((r) => !r.duplicate).map((r) => r.eventId);
  const entries = await stored();
  t.same(
    entries.map((e) => e.eventId).sort(),
    [...kept].sort(),
    'one intake entry per stored event, none for duplicates',
  );
  for (const id of kept) t.equal(await redis.exists(keys.record(id)), 1);
  const duplicates = records.filter((r) => !kept.includes(r.id));
  t.ok(duplicates.length > 0, 'some were duplicates');
  for (const r of duplicates) t.equal(await redis.exists(keys.record(r.id)), 0, 'no record for a duplicate');
});

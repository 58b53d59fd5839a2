import { Queue } from 'bullmq';
import t from 'tap';
import { deliveryId } from '../../src/queue/ids.js';
import { LEGACY_DELIVERIES_QUEUE, LEGACY_EVENTS_QUEUE } from '../../src/queue/jobs.js';
import { drainLegacyLayout } from '../../src/queue/legacy.js';
import { decodeMarks, decodeStored, encodeRouted, type CompactMark } from '../../src/queue/stored-event.js';
import type { Envelope } from '../../src/record/envelope.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, keyKinds, testConfig, waitFor } from './harness.js';

const idOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as Envelope).id;

t.test(
  'after delivery Redis holds one compressed record per event, and nothing else per event but its dedupe key',
  async (t) => {
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const h = harness(
      t,
      testConfig({
        sources: { stripe: { routes: [{ to: 'a' }, { to: 'b' }] } },
        destinations: { a: { type: 'http', url: rx.url }, b: { type: 'http', url: `${rx.url}/b` } },
      }),
    );
    h.startWorker();
    const records = Array.from({ length: 50 }, (_, i) =>
      sampleRecord({
        body: JSON.stringify({
          id: `evt_${i}`,
          type: 'invoice.paid',
          data: { object: { n: i, text: 'x'.repeat(1500) } },
        }),
      }),
    );
    for (const r of records)
      await h.intake.accept(r, { source: 'stripe', dedupeKey: `evt_${records.indexOf(r)}` });
    await rx.waitForRequests(100);
    await waitFor('settled', async () =>
      (await Promise.all(records.map((r) => h.events.get(r.id)))).every((e) => e?.status === 'delivered'),
    );
    const keys = await keyKinds(h);
    const stream = h.queues.partitions[0]!.keys.intake;
    t.equal(keys.get('hg:e'), 50, 'one record per event');
    t.equal(keys.get('hg:dd'), 50, 'one dedupe key per event');
    t.notOk(keys.get('hg:s'), 'no status key: both first attempts delivered, folded into the record');
    t.equal(await h.queues.redis.xlen(stream), 50, 'one intake entry per event (the time index)');
    const perEventKinds = [...keys.entries()]
      .filter(([, n]) => n >= 50)
      .map(([k]) => k)
      .sort();
    t.same(perEventKinds, ['hg:dd', 'hg:e'], `per-event keys: ${JSON.stringify(Object.fromEntries(keys))}`);
    for (const name of ['a', 'b']) {
      const counts = await h.queues.queue(name).getJobCounts();
      t.equal(
        Object.values(counts).reduce((a, b) => a + b, 0),
        0,
        `no job left in ${name}'s queue`,
      );
    }
    const stored = await h.queues.redis.getBuffer(h.queues.partitions[0]!.keys.record(records[0]!.id));
    const json = JSON.stringify(records[0]);
    t.ok(stored!.length < json.length / 2, `stored ${stored!.length} B for a ${json.length} B record`);
    const decoded = decodeStored(stored!);
    t.same(decoded.record, records[0], 'the record comes back byte for byte');
    t.match(decoded.marks, { a: ['d'], b: ['d'] });
    t.ok(
      (await h.queues.redis.pttl(h.queues.partitions[0]!.keys.record(records[0]!.id))) > 0,
      'the record still expires',
    );
  },
);

t.test(
  'an install upgraded from the previous layout loses nothing: events, waiting deliveries and dead letters move over',
  async (t) => {
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const h = harness(
      t,
      testConfig({
        sources: { stripe: { routes: [{ to: 'rx' }] } },
        destinations: { rx: { type: 'http', url: rx.url } },
      }),
    );
    const prefix = h.config.redis.prefix;
    // What a worker of the previous version left: an event not yet routed, a delivery
    // waiting for its retry, a dead letter with its attempts.
    const events = new Queue(LEGACY_EVENTS_QUEUE, { connection: h.queues.redis, prefix });
    const deliveries = new Queue(LEGACY_DELIVERIES_QUEUE, { connection: h.queues.redis, prefix });
    t.teardown(() => Promise.all([events.close(), deliveries.close()]));
    const unrouted = sampleRecord();
    const waiting = sampleRecord();
    const dead = sampleRecord();
    await events.add('stripe', { record: unrouted }, { jobId: unrouted.id });
    await deliveries.add(
      'rx',
      { eventId: waiting.id, source: 'stripe', destination: 'rx', record: waiting },
      { jobId: deliveryId(waiting.id, 'rx'), attempts: 5, delay: 60_000 },
    );
    const failed = await deliveries.add(
      'rx',
      { eventId: dead.id, source: 'stripe', destination: 'rx', record: dead },
      { jobId: deliveryId(dead.id, 'rx'), attempts: 1 },
    );
    await failed.log(
      `hookgate.attempt ${JSON.stringify({ attempt: 1, startedAt: new Date().toISOString(), durationMs: 3, outcome: 'dead_letter', error: 'answered 400' })}`,
    );
    // Fail it as the old worker did (moveToFailed needs a lock: take it as a worker would).
    const { Worker } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const { REDIS_URL } = await import('../helpers/redis.js');
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    t.teardown(() => connection.disconnect());
    const old = new Worker(
      LEGACY_DELIVERIES_QUEUE,
      async () => {
        throw new Error('answered 400');
      },
      { connection, prefix, autorun: false },
    );
    void old.run();
    await waitFor('dead letter failed', async () => (await deliveries.getJobCounts('failed')).failed === 1);
    await old.close(true);
    const failedBefore = (await deliveries.getJob(deliveryId(dead.id, 'rx')))!.finishedOn!;

    // As `hookgate migrate` does it, no worker of this version running: what it
    // reports moved must be in the dead-letter store at once (it used to be queued for
    // a worker to fail, and was missing from the listing until one had).
    const result = await drainLegacyLayout(h.queues, h.config);
    t.match(result, { events: 1, deadLetters: 1 });
    t.equal(result.deliveries, 1);
    const listed = async (when: string) => {
      const letters = await h.store.list();
      t.same(
        letters.items.map((l) => [l.id, l.failedAt, l.error]),
        [[deliveryId(dead.id, 'rx'), new Date(failedBefore).toISOString(), 'answered 400']],
        `the dead letter listed ${when}, failed when it failed before the upgrade`,
      );
      const letter = await h.store.get(deliveryId(dead.id, 'rx'));
      t.match(letter?.attempts, [{ outcome: 'dead_letter', error: 'answered 400' }]);
      t.same(letter?.envelope, dead);
    };
    await listed('right after the move');
    h.startWorker();
    await rx.waitForRequests(2);
    t.same(new Set(rx.requests.map((r) => idOf(r.body))), new Set([unrouted.id, waiting.id]));
    await listed('while a worker runs');
    // Each moved event settles: the routed one, the moved waiting delivery, the dead letter.
    const statuses = await waitFor('moved events settled', async () => {
      const es = await Promise.all([unrouted, waiting, dead].map((r) => h.events.get(r.id)));
      return (
        es.every((e) => e && e.status !== 'pending') &&
        es.map((e) => [e!.status, e!.deliveries.map((d) => d.status)])
      );
    });
    t.same(statuses, [
      ['delivered', ['delivered']],
      ['delivered', ['delivered']],
      ['failed', ['failed']],
    ]);
    t.same(
      await deliveries.getJobCounts('wait', 'delayed', 'failed'),
      { wait: 0, delayed: 0, failed: 0 },
      'old queues emptied',
    );
    t.same(
      await drainLegacyLayout(h.queues, h.config),
      { events: 0, deliveries: 0, deadLetters: 0 },
      'running it again moves nothing',
    );
    await h.store.replay([deliveryId(dead.id, 'rx')]);
    await rx.waitForRequests(3);
    t.equal(idOf(rx.requests[2]!.body), dead.id, 'the moved dead letter replays');
  },
);

t.test('a record settled plain (the event log keeps up) reads back like a deflated one', async (t) => {
  const record = sampleRecord({ body: '{"id":"evt_plain","text":"é ü \\u0000 x"}' });
  const marks = { a: ['d', 1, 2] as CompactMark };
  const plain = encodeRouted(record, marks, true);
  const deflated = encodeRouted(record, marks);
  t.equal(plain[0], 0x02);
  t.equal(deflated[0], 0x01);
  for (const value of [plain, deflated]) {
    t.same(decodeStored(value), { record, marks });
    t.same(decodeMarks(value), marks, 'marks without the record');
    t.same(decodeMarks(value.subarray(0, 40)), marks, 'from the first bytes alone (listing reads 2 KB)');
  }
});

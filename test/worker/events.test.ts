import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, testConfig, waitFor } from './harness.js';

t.test('events: get, list, replay', async (t) => {
  const a = await startHttpReceiver();
  const b = await startHttpReceiver({ fallback: { status: 410 } });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const h = harness(
    t,
    testConfig(
      {
        sources: {
          stripe: { routes: [{ to: 'a' }, { to: 'b', filter: { 'body.type': 'invoice.paid' } }] },
          github: { routes: [{ to: 'a' }] },
        },
        destinations: { a: { type: 'http', url: a.url }, b: { type: 'http', url: b.url } },
      },
      'events',
    ),
  );
  h.startWorker();
  const first = sampleRecord();
  const other = sampleRecord({ source: 'github' });
  const last = sampleRecord();
  for (const r of [first, other, last]) await h.publish(r);
  // a delivers everything; b answers 410 (permanent) to the two invoice.paid events.
  await waitFor('all settled', async () => {
    const events = await Promise.all([first, other, last].map((r) => h.events.get(r.id)));
    if (events.some((e) => !e || e.status === 'pending')) return false;
    const deliveries = events.flatMap((e) => e!.deliveries);
    return (
      deliveries.filter((d) => d.status === 'delivered').length === 3 &&
      deliveries.filter((d) => d.status === 'failed').length === 2
    );
  });

  await t.test('get: envelope and each delivery with status and attempts', async (t) => {
    const e = (await h.events.get(first.id))!;
    t.same(e.envelope, first);
    t.match(e, { id: first.id, source: 'stripe', receivedAt: first.timestamp, status: 'failed' });
    t.equal((await h.events.get(other.id))!.status, 'delivered');
    t.match(e.deliveries, [
      {
        id: deliveryId(first.id, 'a'),
        destination: 'a',
        status: 'delivered',
        attempts: [{ outcome: 'success' }],
      },
      {
        id: deliveryId(first.id, 'b'),
        destination: 'b',
        status: 'failed',
        error: /410/,
        attempts: [{ outcome: 'dead_letter' }],
      },
    ]);
    t.equal(await h.events.get('01NOSUCHEVENT0000000000000'), undefined);
  });

  await t.test('list: newest first, by source, a page at a time', async (t) => {
    const ids = async (query: Parameters<typeof h.events.list>[0] = {}) =>
      (await h.events.list(query)).items.map((e) => e.id);
    t.same(await ids(), [last.id, other.id, first.id]);
    t.same(await ids({ source: 'stripe' }), [last.id, first.id]);
    t.same(
      (await h.events.list()).items.map((e) => [e.source, e.status]),
      [
        ['stripe', 'failed'],
        ['github', 'delivered'],
        ['stripe', 'failed'],
      ],
    );
    // `events list` and `events show` should tell the same receive time.
    t.same(
      (await h.events.list()).items.map((e) => e.receivedAt),
      [last, other, first].map((r) => r.timestamp),
      'receivedAt in the list is the record timestamp',
    );
    t.notOk((await h.events.list()).nextCursor, 'no cursor on the last page');

    const one = await h.events.list({ limit: 1 });
    t.same(
      one.items.map((e) => e.id),
      [last.id],
    );
    t.ok(one.nextCursor);
    const rest = await h.events.list({ limit: 1, cursor: one.nextCursor! });
    t.same(
      rest.items.map((e) => e.id),
      [other.id],
    );
    const end = await h.events.list({ limit: 1, cursor: rest.nextCursor! });
    t.same(
      end.items.map((e) => e.id),
      [first.id],
    );
    t.notOk(end.nextCursor);
    t.same(await ids({ source: 'stripe', limit: 1, cursor: one.nextCursor! }), [first.id]);
    await t.rejects(h.events.list({ cursor: 'not-a-cursor' }), { name: 'InvalidCursorError' });
  });

  await t.test('replay: every matching route again, same event id, new job ids', async (t) => {
    b.setFallback({ status: 200 });
    const before = a.requests.length;
    const result = await h.events.replay(first.id);
    t.equal(result.deliveries.length, 2);
    for (const id of result.deliveries) t.match(id, new RegExp(`^${first.id}~(a|b)~replay-[0-9A-Z]{26}$`));
    await waitFor('replays delivered', async () => {
      const e = await h.events.get(first.id);
      return e?.deliveries.filter((d) => d.replayOf && d.status === 'delivered').length === 2;
    });
    const replayed = JSON.parse(a.requests[before]!.body.toString()) as Envelope;
    t.equal(replayed.id, first.id);
    const e = (await h.events.get(first.id))!;
    t.equal(e.deliveries.length, 4, 'first deliveries and replays');
    t.equal(
      e.deliveries.find((d) => d.id === deliveryId(first.id, 'b'))!.status,
      'failed',
      'the dead letter stays',
    );
  });

  await t.test('replay to one destination', async (t) => {
    const result = await h.events.replay(other.id, { destination: 'b' });
    t.equal(result.deliveries.length, 1);
    t.match(result.deliveries[0], new RegExp(`^${other.id}~b~`));
    await t.rejects(h.events.replay(other.id, { destination: 'ghost' }), { name: 'UnknownDestinationError' });
    await t.rejects(h.events.replay('01NOSUCHEVENT0000000000000'), { name: 'EventNotFoundError' });
  });
});

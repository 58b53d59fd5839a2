import t from 'tap';
import { ulid } from 'ulid';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness } from './harness.js';

interface Page {
  items: Array<{ id: string; source: string; receivedAt: string; status: string }>;
  nextCursor: string | null;
}

t.test('admin API: events', async (t) => {
  const a = await startHttpReceiver();
  const b = await startHttpReceiver({ fallback: { status: 410 } });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const h = await adminHarness(
    t,
    {
      sources: {
        stripe: { routes: [{ to: 'a' }, { to: 'b', filter: { 'body.type': 'invoice.paid' } }] },
        github: { routes: [{ to: 'a' }] },
      },
      destinations: { a: { type: 'http', url: a.url }, b: { type: 'http', url: b.url } },
    },
    'admin-events',
  );
  const worker = h.startWorker();
  const stripe = [sampleRecord(), sampleRecord(), sampleRecord()];
  const github = [sampleRecord({ source: 'github' }), sampleRecord({ source: 'github' })];
  const published = [stripe[0]!, github[0]!, stripe[1]!, github[1]!, stripe[2]!];
  for (const r of published) await h.publish(r);
  // a takes everything; b answers 410 (permanent) to the three stripe events.
  await waitFor('all settled', async () => {
    const events = await Promise.all(published.map((r) => h.events.get(r.id)));
    if (events.some((e) => !e || e.status === 'pending')) return false;
    const deliveries = events.flatMap((e) => e!.deliveries);
    return (
      deliveries.filter((d) => d.status === 'delivered').length === 5 &&
      deliveries.filter((d) => d.status === 'failed').length === 3
    );
  });
  // Not yet routed (no worker running): listed with the finished ones, newest first.
  await worker.close(2000);
  const pending = sampleRecord();
  await h.publish(pending);
  const newestFirst = [...published, pending].map((r) => r.id).reverse();

  await t.test('list: newest first, with status; source filter', async (t) => {
    const res = await h.call('GET', '/admin/events');
    t.equal(res.statusCode, 200);
    const page = res.json<Page>();
    t.same(
      page.items.map((i) => i.id),
      newestFirst,
    );
    t.notOk(page.nextCursor);
    t.same(
      { ...page.items[0], receivedAt: undefined },
      {
        id: pending.id,
        source: 'stripe',
        dedupeKey: pending.requestContext.dedupeKey,
        receivedAt: undefined,
        status: 'pending',
      },
    );
    t.equal(page.items[0]!.receivedAt, pending.timestamp, 'receivedAt is the record timestamp');
    t.same(
      page.items.slice(1).map((i) => [i.source, i.status]),
      [
        ['stripe', 'failed'],
        ['github', 'delivered'],
        ['stripe', 'failed'],
        ['github', 'delivered'],
        ['stripe', 'failed'],
      ],
      'stripe events have a dead letter (b), github ones are delivered',
    );
    const gh = (await h.call('GET', '/admin/events?source=github')).json<Page>();
    t.same(
      gh.items.map((i) => i.id),
      github.map((r) => r.id).reverse(),
    );
    t.same((await h.call('GET', '/admin/events?source=nobody')).json<Page>().items, []);
  });

  await t.test('list: cursor pages add up to the whole list', async (t) => {
    for (const [query, expected] of [
      ['limit=2', newestFirst],
      ['limit=1&source=github', github.map((r) => r.id).reverse()],
      ['limit=6', newestFirst],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await h.call('GET', `/admin/events?${query}${cursor ? `&cursor=${cursor}` : ''}`);
        t.equal(res.statusCode, 200);
        const page = res.json<Page>();
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      t.same(seen, expected, query);
      const limit = Number(/limit=(\d+)/.exec(query)![1]);
      t.equal(pages, Math.ceil(expected.length / limit), `${query}: pages`);
    }
    for (const q of ['limit=0', 'limit=x', 'cursor=%25%25', 'cursor=']) {
      const res = await h.call('GET', `/admin/events?${q}`);
      if (q === 'cursor=') {
        t.equal(res.statusCode, 200, 'an empty cursor is the first page');
        continue;
      }
      t.equal(res.statusCode, 400, q);
      t.match(res.json(), { error: { code: /BAD_REQUEST|INVALID_CURSOR/ } });
    }
    const bad = await h.call('GET', '/admin/events?cursor=not-a-cursor');
    t.equal(bad.statusCode, 400);
    t.same(bad.json(), {
      error: { code: 'INVALID_CURSOR', message: 'The cursor is not one this API returned.' },
    });
  });

  // A worker again for what follows; the pending event is routed first, so the
  // replays below are the only requests still to come.
  h.startWorker();
  await waitFor('pending event settled', async () => (await h.events.get(pending.id))?.status === 'failed');

  await t.test('show: envelope and each delivery with status and attempts; unknown 404', async (t) => {
    const res = await h.call('GET', `/admin/events/${stripe[0]!.id}`);
    t.equal(res.statusCode, 200);
    const e = res.json<{ envelope: unknown; deliveries: unknown[] }>();
    t.same(e.envelope, JSON.parse(JSON.stringify(stripe[0])) as Envelope);
    t.match(e, { id: stripe[0]!.id, source: 'stripe', status: 'failed' });
    t.match(e.deliveries, [
      {
        id: deliveryId(stripe[0]!.id, 'a'),
        destination: 'a',
        status: 'delivered',
        attempts: [{ attempt: 1, outcome: 'success' }],
      },
      {
        id: deliveryId(stripe[0]!.id, 'b'),
        destination: 'b',
        status: 'failed',
        error: /410/,
        attempts: [{ attempt: 1, outcome: 'dead_letter', error: /410/ }],
      },
    ]);
    t.same(
      e.deliveries.map((d) => (d as { attempts: unknown[] }).attempts.length),
      [1, 1],
      'one attempt each',
    );
    const missing = await h.call('GET', `/admin/events/${ulid()}`);
    t.equal(missing.statusCode, 404);
    t.same(missing.json(), { error: { code: 'EVENT_NOT_FOUND', message: 'No event with this id.' } });
  });

  await t.test('replay: every matching destination, or one; errors', async (t) => {
    const event = github[0]!;
    let before = a.requests.length;
    const all = await h.call('POST', `/admin/events/${event.id}/replay`);
    t.equal(all.statusCode, 202);
    const body = all.json<{ eventId: string; deliveries: string[] }>();
    t.equal(body.eventId, event.id);
    t.equal(body.deliveries.length, 1);
    t.match(body.deliveries[0], new RegExp(`^${event.id}~a~replay-`));
    const got = await a.waitForRequests(before + 1);
    t.equal(got[before]!.headers['webhook-id'], event.id);

    before = a.requests.length;
    const one = await h.call('POST', `/admin/events/${stripe[1]!.id}/replay`, { destination: 'a' });
    t.equal(one.statusCode, 202);
    t.equal(one.json<{ deliveries: string[] }>().deliveries.length, 1);
    t.equal((await a.waitForRequests(before + 1))[before]!.headers['webhook-id'], stripe[1]!.id);

    const viaQuery = await h.call('POST', `/admin/events/${stripe[2]!.id}/replay?destination=a`);
    t.equal(viaQuery.statusCode, 202);
    t.match(viaQuery.json<{ deliveries: string[] }>().deliveries, [new RegExp(`~a~replay-`)]);

    await waitFor('replays settled', async () => {
      const e = (await h.call('GET', `/admin/events/${event.id}`)).json<{
        deliveries: Array<{ status: string; replayOf?: string }>;
      }>();
      return e.deliveries.length === 2 && e.deliveries.every((d) => d.status === 'delivered');
    });
    const shown = (await h.call('GET', `/admin/events/${event.id}`)).json<{
      deliveries: Array<{ id: string; replayOf?: string }>;
    }>();
    t.equal(shown.deliveries.find((d) => d.id === body.deliveries[0])?.replayOf, deliveryId(event.id, 'a'));

    const unknownDest = await h.call('POST', `/admin/events/${event.id}/replay`, { destination: 'nope' });
    t.equal(unknownDest.statusCode, 400);
    t.same(unknownDest.json(), {
      error: { code: 'UNKNOWN_DESTINATION', message: 'No destination "nope" is configured.' },
    });
    const unknownEvent = await h.call('POST', `/admin/events/${ulid()}/replay`);
    t.equal(unknownEvent.statusCode, 404);
    t.equal(unknownEvent.json<{ error: { code: string } }>().error.code, 'EVENT_NOT_FOUND');
    const notObject = await h.call('POST', `/admin/events/${event.id}/replay`, [1]);
    t.equal(notObject.statusCode, 400);
  });
});

t.test('event pages across many scan batches, in the order received, not id order', async (t) => {
  const h = await adminHarness(t, { sources: { bulk: {}, other: {} } }, 'admin-event-pages');
  h.startWorker();
  const now = Date.now();
  // More events than one scan batch of the intake (500), with ids from the last hour
  // in random order: the list follows when each was received, not its id.
  const records = Array.from({ length: 1100 }, (_, i) => {
    const r = sampleRecord({ source: i % 3 === 0 ? 'other' : 'bulk' });
    return { ...r, id: ulid(now - Math.floor(Math.random() * 3_600_000)) };
  });
  for (const r of records) await h.publish(r);
  await waitFor(
    'all routed',
    async () => (await h.events.list({ status: 'pending', limit: 1 })).items.length === 0,
  );
  for (const [source, limit] of [
    [undefined, 97],
    ['bulk', 250],
    ['other', 50],
  ] as const) {
    const expected = records
      .filter((r) => source === undefined || r.source === source)
      .map((r) => r.id)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await h.call(
        'GET',
        `/admin/events?limit=${limit}${source ? `&source=${source}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = res.json<Page>();
      t.ok(page.items.length <= limit);
      t.ok(page.items.every((i) => i.status === 'unrouted'));
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 100);
    t.same(seen, expected, `source ${source ?? 'any'}, limit ${limit}`);
    t.equal(pages, Math.ceil(expected.length / limit), `source ${source ?? 'any'}: pages`);
  }
});

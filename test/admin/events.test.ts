import t from 'tap';
import { ulid } from 'ulid';
import { listEventPage } from '../../src/events/pages.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/worker/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness } from './harness.js';

interface Page {
  items: Array<{ id: string; source: string; receivedAt: string; state: string }>;
  nextCursor?: string;
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
  h.startWorker();
  const stripe = [sampleRecord(), sampleRecord(), sampleRecord()];
  const github = [sampleRecord({ source: 'github' }), sampleRecord({ source: 'github' })];
  for (const r of [stripe[0]!, github[0]!, stripe[1]!, github[1]!, stripe[2]!]) await h.publish(r);
  await waitFor('all settled', async () => {
    const counts = await h.queues.deliveries.getJobCounts('completed', 'failed');
    return counts.completed === 5 && counts.failed === 3;
  });
  // Not yet routed (held back 1h): listed with the finished ones, in id order.
  const pending = sampleRecord();
  await h.queues.events.add('stripe', { record: pending }, { jobId: pending.id, delay: 3_600_000 });
  const newestFirst = [...stripe, ...github, pending]
    .map((r) => r.id)
    .sort()
    .reverse();

  await t.test('list: newest first, with state; source filter', async (t) => {
    const res = await h.call('GET', '/admin/events');
    t.equal(res.statusCode, 200);
    const page = res.json<Page>();
    t.same(
      page.items.map((i) => i.id),
      newestFirst,
    );
    t.notOk(page.nextCursor);
    t.same(page.items[0], {
      id: pending.id,
      source: 'stripe',
      receivedAt: pending.timestamp,
      state: 'delayed',
    });
    t.ok(page.items.slice(1).every((i) => i.state === 'completed'));
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
        cursor = page.nextCursor;
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

  await t.test('show: envelope and each delivery with state and attempts; unknown 404', async (t) => {
    const res = await h.call('GET', `/admin/events/${stripe[0]!.id}`);
    t.equal(res.statusCode, 200);
    const e = res.json<{ envelope: unknown; deliveries: unknown[] }>();
    t.same(e.envelope, JSON.parse(JSON.stringify(stripe[0])) as Envelope);
    t.match(e, { id: stripe[0]!.id, source: 'stripe', state: 'completed' });
    t.match(e.deliveries, [
      {
        id: deliveryId(stripe[0]!.id, 'a'),
        destination: 'a',
        state: 'completed',
        attemptsMade: 1,
        attempts: [{ attempt: 1, outcome: 'success' }],
      },
      {
        id: deliveryId(stripe[0]!.id, 'b'),
        destination: 'b',
        state: 'failed',
        error: /410/,
        attempts: [{ attempt: 1, outcome: 'dead_letter', error: /410/ }],
      },
    ]);
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
        deliveries: Array<{ state: string; replayOf?: string }>;
      }>();
      return e.deliveries.length === 2 && e.deliveries.every((d) => d.state === 'completed');
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

t.test('event pages across many completed batches, finished out of id order', async (t) => {
  const h = await adminHarness(t, { sources: { bulk: {}, other: {} } }, 'admin-event-pages');
  h.startWorker();
  const now = Date.now();
  // Ids from the last hour in random order: finish order says nothing about id order.
  const records = Array.from({ length: 60 }, (_, i) => {
    const r = sampleRecord({ source: i % 3 === 0 ? 'other' : 'bulk' });
    return { ...r, id: ulid(now - Math.floor(Math.random() * 3_600_000)) };
  });
  await h.queues.events.addBulk(
    records.map((r) => ({ name: r.source, data: { record: r }, opts: { jobId: r.id } })),
  );
  await waitFor('60 events routed', async () => (await h.queues.events.getCompletedCount()) === 60);
  for (const [source, limit] of [
    [undefined, 7],
    ['bulk', 9],
    ['other', 50],
  ] as const) {
    const expected = records
      .filter((r) => source === undefined || r.source === source)
      .map((r) => r.id)
      .sort()
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEventPage(h.queues, {
        limit,
        batch: 5,
        ...(source ? { source } : {}),
        ...(cursor ? { cursor } : {}),
      });
      t.ok(page.items.length <= limit);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    t.same(seen, expected, `source ${source ?? 'any'}, limit ${limit}`);
  }
});

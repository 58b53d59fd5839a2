import t from 'tap';
import { deliveryId, parseDeliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness } from './harness.js';

interface Page {
  items: Array<{ id: string; eventId: string; source: string; destination: string; error: string }>;
  nextCursor?: string;
}

t.test('admin API: dead letters', async (t) => {
  // 422 is permanent: every delivery is dead-lettered on its first attempt.
  const flaky = await startHttpReceiver({ fallback: { status: 422 } });
  const broken = await startHttpReceiver({ fallback: { status: 422 } });
  t.teardown(() => Promise.all([flaky.close(), broken.close()]));
  const h = await adminHarness(
    t,
    {
      sources: {
        stripe: { routes: [{ to: 'flaky' }, { to: 'broken' }] },
        github: { routes: [{ to: 'flaky' }] },
      },
      destinations: { flaky: { type: 'http', url: flaky.url }, broken: { type: 'http', url: broken.url } },
    },
    'admin-dlq',
  );
  h.startWorker();
  const stripe = [sampleRecord(), sampleRecord(), sampleRecord()];
  const github = sampleRecord({ source: 'github' });
  for (const r of [...stripe, github]) await h.publish(r);
  await waitFor('7 dead letters', async () => (await h.store.ids()).length === 7);
  // The failed set of the delivery's destination queue is the dead-letter store.
  const queueOf = (id: string) => h.queues.queue(parseDeliveryId(id)!.destination);
  const inStore = async (id: string) => (await h.queues.redis.zscore(queueOf(id).keys.failed!, id)) !== null;
  const deliveryStatus = async (id: string) =>
    (await h.events.get(parseDeliveryId(id)!.eventId))?.deliveries.find((d) => d.id === id)?.status;

  await t.test('list: filters, limit and cursor pages', async (t) => {
    const all = (await h.call('GET', '/admin/dead-letters')).json<Page>();
    t.equal(all.items.length, 7);
    t.notOk(all.nextCursor);
    t.match(all.items[0], {
      eventId: String,
      source: /stripe|github/,
      destination: /flaky|broken/,
      error: /422/,
    });

    const broke = (await h.call('GET', '/admin/dead-letters?destination=broken')).json<Page>();
    t.same(
      broke.items.map((i) => i.destination),
      ['broken', 'broken', 'broken'],
    );
    const gh = (await h.call('GET', '/admin/dead-letters?source=github')).json<Page>();
    t.same(
      gh.items.map((i) => i.id),
      [deliveryId(github.id, 'flaky')],
    );
    const both = (await h.call('GET', '/admin/dead-letters?source=stripe&destination=flaky')).json<Page>();
    t.equal(both.items.length, 3);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    t.equal((await h.call('GET', `/admin/dead-letters?since=${future}`)).json<Page>().items.length, 0);
    t.equal((await h.call('GET', '/admin/dead-letters?since=1h')).json<Page>().items.length, 7);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await h.call('GET', `/admin/dead-letters?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      t.equal(res.statusCode, 200);
      const page = res.json<Page>();
      t.ok(page.items.length <= 3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    t.equal(pages, 3);
    t.same(
      seen,
      all.items.map((i) => i.id),
      'pages add up to the whole list, in order, no repeats',
    );
  });

  await t.test('list: bad parameters are 400 in the error format', async (t) => {
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'since=yesterday', 'cursor=bm9wZQ']) {
      const res = await h.call('GET', `/admin/dead-letters?${q}`);
      t.equal(res.statusCode, 400, q);
      t.match(res.json(), { error: { code: /BAD_REQUEST|INVALID_CURSOR/, message: String } });
    }
    t.equal(
      (await h.call('GET', '/admin/dead-letters?cursor=bm9wZQ')).json<{ error: { code: string } }>().error
        .code,
      'INVALID_CURSOR',
    );
    // As `hookgate dlq list --since` reads them (test/query/params.test.ts).
    for (const since of ['5000', 'Nov%2027%202026', '2026-11-27T09:00:00']) {
      const res = await h.call('GET', `/admin/dead-letters?since=${since}`);
      t.equal(res.statusCode, 400, `since=${since}`);
      t.match(res.json(), { error: { code: 'BAD_REQUEST', message: /^since: / } });
    }
  });

  await t.test('unknown source or destination names are 400, listing and bulk replay alike', async (t) => {
    const count = (await h.store.ids()).length;
    const calls = [
      ['GET', '/admin/dead-letters?destination=nope', undefined],
      ['GET', '/admin/dead-letters?source=nope', undefined],
      ['POST', '/admin/dead-letters/replay', { destination: 'nope' }],
      ['POST', '/admin/dead-letters/replay', { source: 'nope', all: true }],
    ] as const;
    const expected = [
      { code: 'UNKNOWN_DESTINATION', message: 'No destination "nope" is configured.' },
      { code: 'UNKNOWN_SOURCE', message: 'No source "nope" is configured.' },
    ];
    for (const [i, [method, url, body]] of calls.entries()) {
      const res = await h.call(method, url, body);
      t.equal(res.statusCode, 400, `${method} ${url} ${JSON.stringify(body)}`);
      t.same(res.json(), { error: expected[i % 2] });
    }
    t.equal((await h.store.ids()).length, count, 'nothing replayed');
  });

  await t.test('get: envelope, destination, every attempt; unknown id 404', async (t) => {
    const id = deliveryId(stripe[0]!.id, 'broken');
    const res = await h.call('GET', `/admin/dead-letters/${encodeURIComponent(id)}`);
    t.equal(res.statusCode, 200);
    const dead = res.json<{ envelope: unknown; attempts: unknown[] }>();
    t.match(dead, { id, eventId: stripe[0]!.id, source: 'stripe', destination: 'broken', attemptsMade: 1 });
    t.same(dead.envelope, JSON.parse(JSON.stringify(stripe[0])));
    t.match(dead.attempts, [{ attempt: 1, outcome: 'dead_letter', error: /422/ }]);

    const missing = await h.call(
      'GET',
      `/admin/dead-letters/${encodeURIComponent(deliveryId(stripe[0]!.id, 'nowhere'))}`,
    );
    t.equal(missing.statusCode, 404);
    t.same(missing.json(), {
      error: { code: 'DEAD_LETTER_NOT_FOUND', message: 'No dead letter with this id.' },
    });
  });

  await t.test('replay one: re-delivered, out of the store; twice is 404', async (t) => {
    flaky.setFallback({ status: 200 });
    const id = deliveryId(github.id, 'flaky');
    const before = flaky.requests.length;
    const res = await h.call('POST', `/admin/dead-letters/${encodeURIComponent(id)}/replay`);
    t.equal(res.statusCode, 202);
    t.same(res.json(), { replayed: [id] });
    t.notOk(await inStore(id), 'left the store when re-enqueued');
    const got = await flaky.waitForRequests(before + 1);
    t.equal(got[before]!.headers['webhook-id'], github.id);
    await waitFor('replayed delivery delivered', async () => (await deliveryStatus(id)) === 'delivered');

    const again = await h.call('POST', `/admin/dead-letters/${encodeURIComponent(id)}/replay`);
    t.equal(again.statusCode, 404);
    t.equal(again.json<{ error: { code: string } }>().error.code, 'DEAD_LETTER_NOT_FOUND');
  });

  await t.test('bulk replay: needs ids, a filter or all; replays what matches', async (t) => {
    for (const payload of [{}, undefined, { ids: 'x' }, { ids: [1] }, { all: 'yes' }]) {
      const res = await h.call('POST', '/admin/dead-letters/replay', payload);
      t.equal(res.statusCode, 400, JSON.stringify(payload));
      t.equal(res.json<{ error: { code: string } }>().error.code, 'BAD_REQUEST');
    }
    const arr = await h.app.inject({
      method: 'POST',
      url: '/admin/dead-letters/replay',
      headers: { ...{ authorization: `Bearer ${h.config.admin.token}` }, 'content-type': 'application/json' },
      payload: '[]',
    });
    t.equal(arr.statusCode, 400);

    const before = flaky.requests.length;
    const res = await h.call('POST', '/admin/dead-letters/replay', {
      destination: 'flaky',
      source: 'stripe',
    });
    t.equal(res.statusCode, 202);
    const body = res.json<{ replayed: string[]; notFound: string[] }>();
    t.same(body.replayed.sort(), stripe.map((r) => deliveryId(r.id, 'flaky')).sort());
    t.same(body.notFound, []);
    const got = await flaky.waitForRequests(before + 3);
    t.same(
      got
        .slice(before)
        .map((r) => r.headers['webhook-id'])
        .sort(),
      stripe.map((r) => r.id).sort(),
    );
    const left = (await h.call('GET', '/admin/dead-letters')).json<Page>().items;
    t.same(
      left.map((i) => i.destination),
      ['broken', 'broken', 'broken'],
      'only the other destination is left',
    );

    const byIds = await h.call('POST', '/admin/dead-letters/replay', {
      ids: [deliveryId(stripe[1]!.id, 'flaky'), 'nope~flaky'],
    });
    t.equal(byIds.statusCode, 202);
    t.same(byIds.json(), { replayed: [], notFound: [deliveryId(stripe[1]!.id, 'flaky'), 'nope~flaky'] });
  });

  await t.test('delete: gone from Redis; twice or unknown is 404', async (t) => {
    const id = deliveryId(stripe[2]!.id, 'broken');
    const res = await h.call('DELETE', `/admin/dead-letters/${encodeURIComponent(id)}`);
    t.equal(res.statusCode, 204);
    t.equal(res.body, '');
    t.notOk(await inStore(id));
    t.equal(await h.queues.redis.exists(queueOf(id).toKey(id)), 0, 'the job itself is deleted');
    t.equal((await h.call('GET', `/admin/dead-letters/${encodeURIComponent(id)}`)).statusCode, 404);
    const again = await h.call('DELETE', `/admin/dead-letters/${encodeURIComponent(id)}`);
    t.equal(again.statusCode, 404);
    t.equal(again.json<{ error: { code: string } }>().error.code, 'DEAD_LETTER_NOT_FOUND');
    // A delivery that is not a dead letter (delivered) is not the store's to delete.
    const done = deliveryId(github.id, 'flaky');
    t.equal(await deliveryStatus(done), 'delivered');
    t.equal((await h.call('DELETE', `/admin/dead-letters/${encodeURIComponent(done)}`)).statusCode, 404);
    t.equal(await deliveryStatus(done), 'delivered', 'and its history is untouched');
  });
});

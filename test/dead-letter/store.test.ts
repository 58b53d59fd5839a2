import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { sweepDeadLetters } from '../../src/dead-letter/retention.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleQueueMetrics } from '../../src/metrics/sampler.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, testConfig, waitFor } from '../worker/harness.js';

t.test('dead-letter store: list, get, replay, purge', async (t) => {
  const rejecting = await startHttpReceiver({ fallback: { status: 422, body: 'no' } });
  const down = await startHttpReceiver({ fallback: { status: 500 } });
  t.teardown(() => Promise.all([rejecting.close(), down.close()]));
  const h = harness(
    t,
    testConfig(
      {
        sources: {
          stripe: { routes: [{ to: 'rejecting' }, { to: 'down' }] },
          github: { routes: [{ to: 'rejecting' }] },
        },
        destinations: {
          rejecting: { type: 'http', url: rejecting.url },
          down: { type: 'http', url: down.url, retry: { attempts: 2 } },
        },
      },
      'dlq',
    ),
  );
  const worker = h.startWorker();
  const stripe = [sampleRecord(), sampleRecord()];
  const github = [sampleRecord({ source: 'github' })];
  const before = Date.now();
  for (const r of [...stripe, ...github]) await h.publish(r);
  // 2 stripe events x 2 destinations + 1 github event x 1 destination
  await waitFor('5 dead letters', async () => (await h.store.ids()).length === 5);

  await t.test('list: newest first, filters, pages', async (t) => {
    const all = await h.store.list();
    t.equal(all.items.length, 5);
    t.notOk(all.nextCursor);
    const times = all.items.map((i) => Date.parse(i.failedAt));
    t.same(
      times,
      [...times].sort((a, b) => b - a),
    );
    t.ok(times.every((x) => x >= before - 1000));
    const one = all.items.find((i) => i.id === deliveryId(github[0]!.id, 'rejecting'))!;
    t.match(one, {
      eventId: github[0]!.id,
      source: 'github',
      destination: 'rejecting',
      attemptsMade: 1,
      error: /422/,
    });

    t.same(
      (await h.store.list({ destination: 'down' })).items.map((i) => i.destination),
      ['down', 'down'],
    );
    t.same(
      (await h.store.list({ source: 'github' })).items.map((i) => i.id),
      [deliveryId(github[0]!.id, 'rejecting')],
    );
    t.equal((await h.store.list({ source: 'stripe', destination: 'rejecting' })).items.length, 2);
    t.equal((await h.store.list({ since: Date.now() + 60_000 })).items.length, 0);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.store.list({ limit: 2, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    t.equal(pages, 3);
    t.same(
      seen,
      all.items.map((i) => i.id),
      'pages cover every dead letter once, in order',
    );
    await t.rejects(h.store.list({ cursor: 'garbage' }), { name: 'InvalidCursorError' });
  });

  await t.test('get: envelope, destination, every attempt', async (t) => {
    const id = deliveryId(stripe[0]!.id, 'down');
    const dl = (await h.store.get(id))!;
    t.same(dl.envelope, stripe[0]);
    t.equal(dl.destination, 'down');
    t.same(
      dl.attempts.map((a) => [a.attempt, a.outcome]),
      [
        [1, 'retry'],
        [2, 'dead_letter'],
      ],
    );
    t.ok(dl.attempts.every((a) => /answered 500/.test(a.error ?? '')));
    t.equal(await h.store.get('nope~down'), undefined);
  });

  await t.test('metrics sample dead letters per destination', async (t) => {
    await sampleQueueMetrics(h.queues, h.metrics, h.config);
    const dead = await h.metrics.deadLetters.get();
    const by: Record<string, number> = Object.fromEntries(
      dead.values.map((v) => [String(v.labels.destination), v.value] as const),
    );
    t.same(by, { rejecting: 3, down: 2 });
    const jobs = await h.metrics.queueJobs.get();
    const failed = (queue: string) =>
      jobs.values.find((v) => v.labels.queue === queue && v.labels.state === 'failed')?.value;
    t.equal(failed('deliveries.rejecting'), 3);
    t.equal(failed('deliveries.down'), 2);
  });

  await t.test('replay: re-delivers once the receiver is fixed, and leaves the store', async (t) => {
    down.setFallback({ status: 200 });
    const id = deliveryId(stripe[0]!.id, 'down');
    const result = await h.store.replay([id, 'nope~down']);
    t.same(result, { done: [id], notFound: ['nope~down'] });
    t.equal(await h.store.get(id), undefined, 'no longer a dead letter');
    const event = await waitFor('replayed delivery completed', async () => {
      const e = await h.events.get(stripe[0]!.id);
      const d = e?.deliveries.find((x) => x.id === id);
      return d?.status === 'delivered' && d;
    });
    const last = down.requests.at(-1)!;
    const body = JSON.parse(last.body.toString()) as Envelope;
    t.equal(body.id, stripe[0]!.id, 'same event id');
    // The dead letter made attempts 1 and 2; the replay's attempt counts on from them.
    t.equal(body.requestContext.approximateInvokeCount, 3, 'a replay counts on');
    t.same(
      event.attempts.map((a) => [a.attempt, a.outcome]),
      [
        [1, 'retry'],
        [2, 'dead_letter'],
        [3, 'success'],
      ],
      'the history keeps the dead letter attempts and adds the replay',
    );
    t.same(await h.store.replay([id]), { done: [], notFound: [id] }, 'a second replay finds nothing');
  });

  await t.test('replay by filter', async (t) => {
    const result = await h.store.replay({ destination: 'down' });
    t.same(result.done, [deliveryId(stripe[1]!.id, 'down')]);
    await waitFor('delivered', async () => {
      const e = await h.events.get(stripe[1]!.id);
      return e?.deliveries.find((d) => d.id === result.done[0])?.status === 'delivered';
    });
  });

  await t.test('purge by id and by filter', async (t) => {
    const gh = deliveryId(github[0]!.id, 'rejecting');
    t.same(await h.store.purge([gh, deliveryId(stripe[0]!.id, 'down')]), {
      done: [gh],
      notFound: [deliveryId(stripe[0]!.id, 'down')],
    });
    t.equal(await h.queues.queue('rejecting').getJob(gh), undefined, 'gone from Redis');
    const rest = await h.store.purge({ source: 'stripe' });
    t.equal(rest.done.length, 2);
    t.same((await h.store.list()).items, []);
  });

  await worker.close(2000);
});

t.test('aged dead letters are swept even with no new failures', async (t) => {
  const rx = await startHttpReceiver({ fallback: { status: 400 } });
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig(
      { sources: { s: { routes: [{ to: 'rx' }] } }, destinations: { rx: { type: 'http', url: rx.url } } },
      'sweep',
    ),
  );
  h.startWorker();
  await h.publish(sampleRecord({ source: 's' }));
  await waitFor('dead letter', async () => (await h.store.ids()).length === 1);
  t.equal(await sweepDeadLetters(h.queues, 60_000), 0, 'younger than retention: kept');
  await new Promise((r) => setTimeout(r, 20));
  t.equal(await sweepDeadLetters(h.queues, 1), 1, 'older than retention: removed');
  t.same(await h.store.ids(), []);
});

t.test('list: every dead letter has its own fields, across reads of many ids at once', async (t) => {
  // More dead letters than one read of ids (a page's jobs are loaded together), in three
  // destinations with different attempt counts and errors: a job matched to the wrong id
  // or score shows up as a wrong field, a wrong time or a missing or repeated id.
  const rejecting = await startHttpReceiver({ fallback: { status: 422, body: 'no' } });
  const gone = await startHttpReceiver({ fallback: { status: 410, body: 'gone' } });
  const down = await startHttpReceiver({ fallback: { status: 500 } });
  t.teardown(() => Promise.all([rejecting.close(), gone.close(), down.close()]));
  const h = harness(
    t,
    testConfig(
      {
        sources: {
          stripe: { routes: [{ to: 'rejecting' }, { to: 'gone' }] },
          github: { routes: [{ to: 'rejecting' }, { to: 'down' }] },
        },
        destinations: {
          rejecting: { type: 'http', url: rejecting.url, concurrency: 20 },
          gone: { type: 'http', url: gone.url, concurrency: 20 },
          // No breaker: 20 failures would open it, and a suspended destination's deliveries wait rather than dead-letter.
          down: { type: 'http', url: down.url, retry: { attempts: 2 }, breaker: false },
        },
      },
      'dlq-fields',
    ),
  );
  const worker = h.startWorker();
  const sourceOf = new Map<string, string>();
  for (let i = 0; i < 110; i++) {
    const r = sampleRecord({ source: i % 11 === 0 ? 'github' : 'stripe' });
    sourceOf.set(r.id, r.source);
    await h.publish(r);
  }
  const routes: Record<string, string[]> = { stripe: ['rejecting', 'gone'], github: ['rejecting', 'down'] };
  const expected = [...sourceOf].flatMap(([id, s]) => routes[s]!.map((d) => deliveryId(id, d)));
  t.equal(expected.length, 220);
  await waitFor('220 dead letters', async () => (await h.store.ids()).length === 220, 30_000);
  const attemptsOf: Record<string, number> = { rejecting: 1, gone: 1, down: 2 };
  const errorOf: Record<string, RegExp> = { rejecting: /422/, gone: /410/, down: /500/ };

  const all = await h.store.list({ limit: 1000 });
  t.notOk(all.nextCursor);
  t.same([...all.items.map((i) => i.id)].sort(), [...expected].sort(), 'every dead letter once');
  let wrong = 0;
  for (const item of all.items) {
    const single = (await h.store.get(item.id))!;
    const ok =
      item.id === deliveryId(item.eventId, item.destination) &&
      item.source === sourceOf.get(item.eventId) &&
      item.attemptsMade === attemptsOf[item.destination] &&
      errorOf[item.destination]!.test(item.error) &&
      item.replayOf === undefined &&
      item.failedAt === single.failedAt &&
      item.error === single.error &&
      single.attempts.length === item.attemptsMade;
    if (!ok) {
      wrong++;
      if (wrong <= 3)
        t.fail(`wrong fields: ${JSON.stringify({ item, single: { ...single, envelope: undefined } })}`);
    }
  }
  t.equal(wrong, 0, 'every listed dead letter has its own fields');

  // Pages (smaller than one read) and a source filter (which skips loaded jobs) see the same.
  const paged: typeof all.items = [];
  let cursor: string | undefined;
  do {
    const page = await h.store.list({ limit: 7, cursor });
    paged.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  t.same(paged, all.items, '7 at a time: the same items in the same order');
  const github = await h.store.list({ source: 'github', limit: 1000 });
  t.same(
    github.items,
    all.items.filter((i) => i.source === 'github'),
    'a source filter keeps exactly that source',
  );
  t.equal(github.items.length, 20);
  await worker.close(2000);
});

t.test(
  'a permanent failure of the first attempt is a dead letter at once, never queued for a worker',
  async (t) => {
    const rejecting = await startHttpReceiver({ fallback: { status: 422, body: 'no' } });
    t.teardown(() => rejecting.close());
    const h = harness(
      t,
      testConfig(
        {
          sources: { stripe: { routes: [{ to: 'rejecting' }] } },
          destinations: { rejecting: { type: 'http', url: rejecting.url } },
        },
        'dlq-direct',
      ),
    );
    const worker = h.startWorker();
    const record = sampleRecord();
    await h.publish(record);
    const id = deliveryId(record.id, 'rejecting');
    await waitFor('the event failed', async () => (await h.events.get(record.id))?.status === 'failed');
    // Listed the moment routing settled the event: it went straight to the failed set.
    const letter = await h.store.get(id);
    t.match(letter, { id, eventId: record.id, attemptsMade: 1, error: /422/ });
    t.match(letter?.attempts, [{ attempt: 1, outcome: 'dead_letter' }]);
    t.same(letter?.envelope, record);
    // BullMQ's events stream tells whether it ever waited or ran in its queue.
    const queue = h.queues.queue('rejecting');
    const events = (await h.queues.redis.xrange(queue.keys.events!, '-', '+')) as [string, string[]][];
    const forJob: string[] = [];
    for (const [, f] of events) {
      const fields = new Map<string, string>();
      for (let k = 0; k + 1 < f.length; k += 2) fields.set(f[k]!, f[k + 1]!);
      if (fields.get('jobId') === id) forJob.push(fields.get('event') ?? '');
    }
    t.same(forJob, [], `never waiting or active in its queue (events: ${forJob.join(', ') || 'none'})`);
    // And it replays like any dead letter.
    rejecting.setFallback({ status: 204 });
    t.same(await h.store.replay([id]), { done: [id], notFound: [] });
    await waitFor('replayed', async () => (await h.events.get(record.id))?.status === 'delivered');
    await worker.close(2000);
  },
);

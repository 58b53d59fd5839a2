import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { sampleRecord } from '../destinations/record.js';
import { harness, testConfig, waitFor } from './harness.js';

const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as Envelope;

t.test('an event reaches every matching route once; a filter excludes one', async (t) => {
  const paid = await startHttpReceiver();
  const all = await startHttpReceiver();
  const refunds = await startHttpReceiver();
  t.teardown(() => Promise.all([paid.close(), all.close(), refunds.close()]));
  const h = harness(
    t,
    testConfig({
      sources: {
        stripe: {
          routes: [
            { to: 'paid', filter: { 'body.type': 'invoice.paid' } },
            { to: 'all' },
            { to: 'refunds', filter: { 'body.type': { $in: ['charge.refunded'] } } },
            // a second route to the same destination must not deliver twice
            { to: 'all', filter: { 'body.data.object.amount': { $gt: 10 } } },
          ],
        },
      },
      destinations: {
        paid: { type: 'http', url: paid.url },
        all: { type: 'http', url: all.url },
        refunds: { type: 'http', url: refunds.url },
      },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const [p] = await paid.waitForRequests(1);
  const [a] = await all.waitForRequests(1);
  t.equal(parse(p!.body).id, record.id);
  t.equal(a!.headers['webhook-id'], record.id);
  const event = await waitFor('event routed', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries.every((d) => d.status === 'delivered') && e.deliveries.length === 2 && e;
  });
  t.same(
    event.deliveries.map((d) => d.destination),
    ['all', 'paid'],
  );
  t.equal(refunds.requests.length, 0);
  t.equal(all.requests.length, 1);
});

t.test('on: success | failure | always follows the record condition', async (t) => {
  const ok = await startHttpReceiver();
  const failed = await startHttpReceiver();
  const always = await startHttpReceiver();
  t.teardown(() => Promise.all([ok.close(), failed.close(), always.close()]));
  const h = harness(
    t,
    testConfig({
      sources: {
        api: {
          routes: [
            { to: 'ok', on: 'success' },
            { to: 'failed', on: 'failure' },
            { to: 'always', on: 'always' },
          ],
        },
      },
      destinations: {
        ok: { type: 'http', url: ok.url },
        failed: { type: 'http', url: failed.url },
        always: { type: 'http', url: always.url },
      },
    }),
  );
  h.startWorker();
  const good = sampleRecord({ source: 'api', condition: 'Success' });
  const bad = sampleRecord({ source: 'api', condition: 'Failure' });
  await h.publish(good);
  await h.publish(bad);
  await always.waitForRequests(2);
  await ok.waitForRequests(1);
  await failed.waitForRequests(1);
  await waitFor('all deliveries done', async () => {
    const [g, b] = await Promise.all([h.events.get(good.id), h.events.get(bad.id)]);
    return (
      [...(g?.deliveries ?? []), ...(b?.deliveries ?? [])].filter((d) => d.status === 'delivered').length ===
      4
    );
  });
  t.same(
    ok.requests.map((r) => parse(r.body).id),
    [good.id],
  );
  t.same(
    failed.requests.map((r) => parse(r.body).id),
    [bad.id],
  );
});

t.test('an event a dead worker left unsettled is claimed by another and delivered', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'a' }, { to: 'b' }] } },
      destinations: { a: { type: 'http', url: rx.url }, b: { type: 'http', url: `${rx.url}/b` } },
      worker: { lockDuration: '300ms', stalledInterval: '100ms' },
    }),
  );
  const record = sampleRecord();
  await h.publish(record);
  // A consumer that reads the entry and dies before settling it: it stays pending.
  const { INTAKE_GROUP } = await import('../../src/queue/keys.js');
  await h.queues.redis.xgroup('CREATE', h.queues.partitions[0]!.keys.intake, INTAKE_GROUP, '0', 'MKSTREAM');
  const read = await h.queues.redis.xreadgroup(
    'GROUP',
    INTAKE_GROUP,
    'dead-worker',
    'COUNT',
    10,
    'STREAMS',
    h.queues.partitions[0]!.keys.intake,
    '>',
  );
  t.ok(read, 'the dead worker took the entry');
  h.startWorker();
  await rx.waitForRequests(2);
  const event = await waitFor('settled', async () => {
    const e = await h.events.get(record.id);
    return e?.status === 'delivered' && e;
  });
  t.same(
    event.deliveries.map((d) => d.id),
    [deliveryId(record.id, 'a'), deliveryId(record.id, 'b')],
  );
  const pending = (await h.queues.redis.xpending(h.queues.partitions[0]!.keys.intake, INTAKE_GROUP)) as [
    number,
    ...unknown[],
  ];
  t.equal(pending[0], 0, 'nothing left pending');
  t.equal(rx.requests.length, 2);
});

t.test('a transient failure is retried, then delivered; each destination retries on its own', async (t) => {
  const flaky = await startHttpReceiver();
  const steady = await startHttpReceiver();
  t.teardown(() => Promise.all([flaky.close(), steady.close()]));
  flaky.reply({ status: 500, body: 'boom' }, { status: 503 });
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'flaky' }, { to: 'steady' }] } },
      destinations: { flaky: { type: 'http', url: flaky.url }, steady: { type: 'http', url: steady.url } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const reqs = await flaky.waitForRequests(3);
  t.same(
    reqs.map((r) => parse(r.body).requestContext.approximateInvokeCount),
    [1, 2, 3],
  );
  t.ok(
    reqs.every((r) => parse(r.body).id === record.id),
    'same event id on every attempt',
  );
  const event = await waitFor('flaky delivered', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries.find((d) => d.destination === 'flaky')?.status === 'delivered' && e;
  });
  const attempts = event.deliveries.find((d) => d.destination === 'flaky')!.attempts;
  t.same(
    attempts.map((a) => [a.attempt, a.outcome]),
    [
      [1, 'retry'],
      [2, 'retry'],
      [3, 'success'],
    ],
  );
  t.match(attempts[0]!.error, /answered 500: boom/);
  t.match(attempts[1]!.error, /answered 503/);
  t.equal(steady.requests.length, 1, 'the healthy destination got it once');
  t.equal(
    await h.metrics.deliveries
      .get()
      .then(
        (m) => m.values.find((v) => v.labels.destination === 'flaky' && v.labels.outcome === 'retry')?.value,
      ),
    2,
  );
});

t.test('retry-after from the destination is honoured over the backoff', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  rx.reply({ status: 429, headers: { 'retry-after': '1' } });
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      // Without retry-after the next attempt would be an hour away and the test would time out.
      destinations: { rx: { type: 'http', url: rx.url, retry: { delay: '1h', maxDelay: '2h' } } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  await rx.waitForRequests(2);
  const event = await waitFor('delivered', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries[0]?.status === 'delivered' && e;
  });
  t.equal(event.deliveries[0]!.attempts[0]!.retryInMs, 1000);
});

t.test('a permanent error goes to the dead-letter store at once, with the error', async (t) => {
  const rx = await startHttpReceiver({ fallback: { status: 400, body: 'bad payload' } });
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url, retry: { attempts: 5 } } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const id = deliveryId(record.id, 'rx');
  const dead = await waitFor('dead letter', () => h.store.get(id));
  t.equal(rx.requests.length, 1, 'not retried');
  t.equal(dead.destination, 'rx');
  t.equal(dead.eventId, record.id);
  t.equal(dead.source, 'stripe');
  t.same(dead.envelope, record);
  t.match(dead.error, /answered 400: bad payload/);
  t.equal(dead.attempts.length, 1);
  t.match(dead.attempts[0], { attempt: 1, outcome: 'dead_letter', error: /400/ });
});

t.test('attempts exhausted: dead letter with every attempt and its error', async (t) => {
  const rx = await startHttpReceiver({ fallback: { status: 502, body: 'down' } });
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url, retry: { attempts: 4 } } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const dead = await waitFor('dead letter', () => h.store.get(deliveryId(record.id, 'rx')));
  t.equal(rx.requests.length, 4);
  t.equal(dead.attemptsMade, 4);
  t.same(
    dead.attempts.map((a) => [a.attempt, a.outcome]),
    [
      [1, 'retry'],
      [2, 'retry'],
      [3, 'retry'],
      [4, 'dead_letter'],
    ],
  );
  for (const a of dead.attempts) {
    t.match(a.error, /answered 502: down/);
    t.ok(Date.parse(a.startedAt) > 0);
  }
});

t.test('a destination that never answers times out and is retried', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  rx.reply('stall');
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url, timeout: '300ms' } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const event = await waitFor('delivered after a timeout', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries[0]?.status === 'delivered' && e;
  });
  t.equal(rx.requests.length, 2);
  t.match(event.deliveries[0]!.attempts[0], { outcome: 'retry', error: /timed out after 300ms/ });
});

t.test('a destination that is down for a while recovers by retry alone', async (t) => {
  const first = await startHttpReceiver();
  const port = Number(new URL(first.url).port);
  await first.close(); // nothing listens: every attempt is refused
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: {
        rx: { type: 'http', url: `http://127.0.0.1:${port}/`, retry: { attempts: 50, delay: '50ms' } },
      },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const id = deliveryId(record.id, 'rx');
  await waitFor('three refused attempts', async () => {
    const job = await h.queues.queue('rx').getJob(id);
    return (job?.attemptsMade ?? 0) >= 3;
  });
  const back = await startHttpReceiver({ port });
  t.teardown(() => back.close());
  const [got] = await back.waitForRequests(1);
  t.equal(parse(got!.body).id, record.id);
  const event = await waitFor('delivered', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries[0]?.status === 'delivered' && e;
  });
  const attempts = event.deliveries[0]!.attempts;
  t.ok(attempts.length >= 4);
  t.match(attempts[0], { outcome: 'retry', error: /request failed \(ECONNREFUSED\)/ });
  t.equal(attempts.at(-1)!.outcome, 'success');
  t.equal(back.requests.length, 1);
});

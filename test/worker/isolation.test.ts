import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { destinationControls, listDestinations } from '../../src/queue/controls.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { sampleRecord } from '../destinations/record.js';
import { harness, outageHarness, testConfig, waitFor } from './harness.js';

const idOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as Envelope).id;

t.test('a stalled, a failing and a throttled destination do not hold up a healthy one', async (t) => {
  const healthy = await startHttpReceiver();
  const stalled = await startHttpReceiver({ fallback: 'stall' });
  const failing = await startHttpReceiver({ fallback: { status: 500 } });
  const throttled = await startHttpReceiver({ fallback: { status: 429, headers: { 'retry-after': '1' } } });
  t.teardown(() => Promise.all([healthy.close(), stalled.close(), failing.close(), throttled.close()]));
  const h = harness(
    t,
    testConfig({
      sources: {
        stripe: { routes: [{ to: 'stalled' }, { to: 'failing' }, { to: 'throttled' }, { to: 'healthy' }] },
      },
      destinations: {
        healthy: { type: 'http', url: healthy.url, timeout: '30s' },
        stalled: { type: 'http', url: stalled.url, timeout: '5s' },
        failing: { type: 'http', url: failing.url, retry: { attempts: 5, delay: '1s' } },
        throttled: { type: 'http', url: throttled.url },
      },
      defaults: { concurrency: 10 },
    }),
  );
  const records = Array.from({ length: 1000 }, () => sampleRecord());
  for (let i = 0; i < records.length; i += 100)
    await Promise.all(records.slice(i, i + 100).map((r) => h.publish(r)));
  const started = Date.now();
  h.startWorker();
  await healthy.waitForRequests(1000, 120_000);
  const secs = healthy.requests.map((r) => Math.floor((r.at - started) / 1000));
  const hist: Record<number, number> = {};
  for (const s of secs) hist[s] = (hist[s] ?? 0) + 1;
  t.comment(`healthy arrivals per second: ${JSON.stringify(hist)}`);
  const got = new Set(healthy.requests.map((r) => idOf(r.body)));
  t.equal(got.size, 1000, 'every event reached the healthy destination once');
  t.ok(
    healthy.requests.every(
      (r) => (JSON.parse(r.body.toString()) as Envelope).requestContext.approximateInvokeCount === 1,
    ),
    'each at its first attempt: none waited behind the others into a retry',
  );
  t.equal(
    stalled.requests.length > 0 && (await stalled.waitForRequests(1).then(() => true)),
    true,
    'the stalled one was tried',
  );
  // Once the lane sees the destination has stopped answering, its line moves to its queue.
  const info = await waitFor('stalled deliveries in its queue', async () => {
    const [d] = (await listDestinations(h.queues, h.config)).filter((x) => x.name === 'stalled');
    return d!.waiting > 0 && d;
  });
  t.ok(info.waiting > 0, `deliveries to the stalled destination wait in its queue (${info.waiting})`);
});

t.test(
  'a paused destination holds its deliveries (no attempt spent) across a worker restart; resume drains',
  async (t) => {
    const rx = await startHttpReceiver();
    const other = await startHttpReceiver();
    t.teardown(() => Promise.all([rx.close(), other.close()]));
    const h = harness(
      t,
      testConfig({
        sources: { stripe: { routes: [{ to: 'rx' }, { to: 'other' }] } },
        destinations: { rx: { type: 'http', url: rx.url }, other: { type: 'http', url: other.url } },
      }),
    );
    const controls = destinationControls(h.queues);
    await controls.pause('rx');
    const first = h.startWorker();
    const before = Array.from({ length: 5 }, () => sampleRecord());
    for (const r of before) await h.publish(r);
    await other.waitForRequests(5);
    await first.close(2000);
    const second = h.startWorker();
    const after = Array.from({ length: 5 }, () => sampleRecord());
    for (const r of after) await h.publish(r);
    await other.waitForRequests(10);
    const paused = await waitFor('10 waiting', async () => {
      const [d] = (await listDestinations(h.queues, h.config)).filter((x) => x.name === 'rx');
      return d!.waiting === 10 && d;
    });
    t.equal(paused.state, 'paused');
    t.equal(rx.requests.length, 0, 'nothing sent while paused');
    const e = await h.events.get(before[0]!.id);
    const d = e!.deliveries.find((x) => x.destination === 'rx')!;
    t.equal(d.status, 'pending');
    t.equal(d.attempts.length, 0, 'waiting spent no attempt');
    await controls.resume('rx');
    await rx.waitForRequests(10);
    t.same(new Set(rx.requests.map((r) => idOf(r.body))), new Set([...before, ...after].map((r) => r.id)));
    for (const r of rx.requests)
      t.equal((JSON.parse(r.body.toString()) as Envelope).requestContext.approximateInvokeCount, 1);
    await waitFor('all delivered', async () => (await h.events.get(after[4]!.id))?.status === 'delivered');
    await second.close(2000);
  },
);

t.test('rateLimit holds across two workers, counted per window at the receiver', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url, rateLimit: { max: 5, window: '500ms' } } },
    }),
  );
  h.startWorker();
  h.startWorker();
  const records = Array.from({ length: 30 }, () => sampleRecord());
  for (const r of records) await h.publish(r);
  await rx.waitForRequests(30, 30_000);
  const at = rx.requests.map((r) => r.at).sort((a, b) => a - b);
  // 30 attempts at 5 per 500 ms: at least 5 windows between the first and the last.
  t.ok(at[29]! - at[0]! >= 5 * 500 - 100, `spread over ${at[29]! - at[0]!} ms`);
  // Any 500 ms holds at most two windows' worth (the limiter's windows are fixed, not sliding).
  let most = 0;
  for (let i = 0; i < at.length; i++)
    most = Math.max(most, at.filter((x) => x >= at[i]! && x < at[i]! + 500).length);
  t.ok(most <= 10, `at most 10 in any 500 ms (saw ${most})`);
  t.equal(new Set(rx.requests.map((r) => idOf(r.body))).size, 30);
});

t.test(
  'an outage far longer than the retry schedule dead-letters nothing: the breaker suspends, probes, and closes',
  async (t) => {
    const { rx, h } = await outageHarness(t, 'breaker', {
      retry: { attempts: 3, delay: '100ms', backoff: 'fixed', jitter: 0 },
      breaker: { failures: 5, cooldown: '500ms', maxCooldown: '500ms' },
    });
    h.startWorker();
    const records = Array.from({ length: 20 }, () => sampleRecord());
    for (const r of records) await h.publish(r);
    const suspended = await waitFor('suspended', async () => {
      const [d] = await listDestinations(h.queues, h.config);
      return d!.state === 'suspended' && d;
    });
    t.ok(suspended.suspendedUntil, 'says until when');
    // The retry schedule (3 attempts, 100 ms apart) is over in well under a second; the outage lasts 4 s.
    await new Promise((r) => setTimeout(r, 4000));
    const duringOutage = rx.requests.length;
    // Without the breaker: 20 events x 3 attempts. With it: the failures that open it, what was in flight, one probe per cooldown.
    t.ok(duringOutage < 30, `${duringOutage} attempts reached the destination during the outage`);
    t.same((await h.store.list()).items, [], 'nothing dead-lettered while suspended');
    rx.setFallback({ status: 204 });
    await waitFor(
      'every event delivered',
      async () => {
        const events = await Promise.all(records.map((r) => h.events.get(r.id)));
        return events.every((e) => e?.status === 'delivered');
      },
      30_000,
    );
    t.same((await h.store.list()).items, [], 'still no dead letters');
    const [after] = await listDestinations(h.queues, h.config);
    t.equal(after!.state, 'active', 'the probe closed the breaker');
    t.equal(await h.queues.redis.exists(h.queues.controls.breaker('rx')), 0);
  },
);

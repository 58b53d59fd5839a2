import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { sampleRecord } from '../destinations/record.js';
import { outageHarness, waitFor } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The breaker (README, Configuration: `breaker`): while suspended its deliveries wait
// without spending attempts, so an outage longer than the retry schedule dead-letters
// nothing that would succeed afterwards. A failed probe is an attempt of one waiting
// delivery: it is in the history, but spends none of the retry policy's attempts. When it did, 2 deliveries
// (3 attempts each, a probe a second) were both dead letters ~4 s into a 15 s outage;
// with the defaults (maxCooldown 10m), once an outage had more failed probes than the
// waiting deliveries had attempts left.
t.test('failed breaker probes do not use up a waiting delivery’s attempts', async (t) => {
  t.setTimeout(60_000);
  const { rx, h } = await outageHarness(t, 'probe-attempts', {
    retry: { attempts: 3, backoff: 'fixed', delay: '200ms', jitter: 0 },
    breaker: { failures: 2, cooldown: '1s', maxCooldown: '1s' },
  });
  h.startWorker();
  const records = [sampleRecord(), sampleRecord()];
  await Promise.all(records.map((r) => h.publish(r)));
  await sleep(15_000);
  t.comment(`${rx.requests.length} attempts during the 15 s outage`);
  t.same((await h.store.list()).items, [], 'nothing dead-lettered during the outage');
  rx.setFallback({ status: 204 });
  const events = await waitFor('both settled', async () => {
    const es = await Promise.all(records.map((r) => h.events.get(r.id)));
    return es.every((e) => e?.status === 'delivered' || e?.status === 'failed') && es;
  });
  t.same(
    events.map((e) => e!.status),
    ['delivered', 'delivered'],
    'both delivered after the recovery',
  );
  // Each attempt the receiver saw has its own number, on from the probes before it.
  for (const r of records) {
    const counts = rx.requests
      .map((q) => JSON.parse(q.body.toString()) as Envelope)
      .filter((e) => e.id === r.id)
      .map((e) => e.requestContext.approximateInvokeCount);
    t.same(
      counts,
      counts.map((_, i) => i + 1),
      `${r.id}: attempts 1..${counts.length}, in order`,
    );
    const history = events.find((e) => e!.id === r.id)!.deliveries[0]!.attempts.map((a) => a.attempt);
    t.same(history, counts, 'the history has every attempt, probes included');
  }
});

t.test(
  'deliveries waiting out a suspension whose records expire are dead-lettered at once, not one per probe',
  async (t) => {
    t.setTimeout(60_000);
    const { rx, h } = await outageHarness(
      t,
      'probe-expiry',
      {
        timeout: '2s',
        retry: { attempts: 3, backoff: 'fixed', delay: '100ms', jitter: 0 },
        breaker: { failures: 2, cooldown: '3s', maxCooldown: '3s' },
      },
      // A queued delivery's record is kept the longer of the two.
      { retention: { events: '2s', deadLetters: '2s' } },
    );
    h.startWorker();
    const records = Array.from({ length: 10 }, () => sampleRecord());
    await Promise.all(records.map((r) => h.publish(r)));
    const started = Date.now();
    // Suspended for 3 s; the records expire after 2 s. Found one per probe (a probe's
    // claim is held for the timeout and a second), ten took ~30 s.
    const letters = await waitFor(
      'every delivery dead-lettered as expired',
      async () => {
        const { items } = await h.store.list();
        return items.length === records.length && items;
      },
      15_000,
    );
    t.comment(`all ${records.length} dead letters ${Date.now() - started} ms after they were stored`);
    t.ok(
      letters.every((l) => /expired/.test(l.error)),
      'each expired (the record outlived retention.events)',
    );
    // The first attempts (before the breaker opened) are the only requests: none for an expired record.
    const late = rx.requests.filter((r) => r.at - started > 1500).length;
    t.equal(late, 0, `no attempt sent once the records could expire (${rx.requests.length} requests in all)`);
  },
);

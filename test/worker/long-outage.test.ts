import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { listDestinations } from '../../src/queue/controls.js';
import { sampleRecord } from '../destinations/record.js';
import { outageHarness, waitFor } from './harness.js';

const idOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as Envelope).id;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const OUTAGE_MS = 60_000;
const EVENTS = 50;
const ATTEMPTS = 3;

t.test(
  'a 60 s outage with 3 attempts dead-letters nothing: the breaker holds the deliveries, all arrive after',
  async (t) => {
    // The outage, the probes' cooldowns and the drain after it.
    t.setTimeout(OUTAGE_MS + 90_000);
    const { rx, h } = await outageHarness(t, 'long-outage', {
      // A realistic schedule, over in ~3 s (1 s, then 2 s): far shorter than the outage.
      retry: { attempts: ATTEMPTS, backoff: 'exponential', delay: '1s', maxDelay: '1m', jitter: 0.2 },
      // The default failure count; cooldowns short enough that a probe follows
      // the recovery within 10 s, long enough that probes stay few.
      breaker: { failures: 10, cooldown: '5s', maxCooldown: '10s' },
    });
    h.startWorker();
    const records = Array.from({ length: EVENTS }, () => sampleRecord());
    const started = Date.now();
    await Promise.all(records.map((r) => h.publish(r)));

    // Throughout the outage, every second: the destination's state, the dead letters,
    // and deliveries failed for good.
    let suspendedAt: number | undefined;
    const deadLettersSeen: number[] = [];
    let failedSeen = 0;
    while (Date.now() - started < OUTAGE_MS) {
      await sleep(Math.min(1000, OUTAGE_MS - (Date.now() - started)));
      const [d] = await listDestinations(h.queues, h.config);
      if (d!.state === 'suspended') suspendedAt ??= Date.now() - started;
      deadLettersSeen.push((await h.store.list()).items.length);
      const events = await Promise.all(records.map((r) => h.events.get(r.id)));
      failedSeen += events.filter((e) => e?.status === 'failed').length;
    }
    t.ok(suspendedAt !== undefined && suspendedAt < 5000, `suspended (after ${suspendedAt} ms)`);
    // Switched synchronously: every request before this index was answered 503, every one after 204.
    const atRecovery = rx.requests.length;
    rx.setFallback({ status: 204 });
    t.comment(`dead letters seen each second of the outage: ${deadLettersSeen.join(',')}`);
    t.ok(
      deadLettersSeen.every((n) => n === 0),
      'no dead letter at any point of the outage',
    );
    t.equal(failedSeen, 0, 'no event failed during the outage');
    // Without the breaker every event spends its 3 attempts in the first ~3 s (150
    // attempts, then 50 dead letters). With it: the failures that open it, what was
    // already in flight, then one probe per cooldown (5, 10, 10, ... s: about 6).
    t.comment(`${atRecovery} attempts reached the destination during the ${OUTAGE_MS / 1000} s outage`);
    t.ok(atRecovery < EVENTS, `attempts during the outage stay few: ${atRecovery} < ${EVENTS}`);
    const probes = rx.requests.filter((r) => r.at - started > 5000).length;
    t.ok(probes <= 10, `after the first 5 s only probes reached it (${probes})`);

    // A probe within maxCooldown closes the breaker; then everything drains (or, were
    // any dead-lettered, settles).
    const settled = await waitFor(
      'every event settled',
      async () => {
        const events = await Promise.all(records.map((r) => h.events.get(r.id)));
        return events.every((e) => e?.status === 'delivered' || e?.status === 'failed') && events;
      },
      60_000,
    );
    t.equal(settled.filter((e) => e!.status === 'delivered').length, EVENTS, 'every event delivered');
    t.comment(`recovered and drained ${Date.now() - started - OUTAGE_MS} ms after the outage ended`);
    // Anything extra (a duplicate) would follow within moments.
    await sleep(1000);
    const after = rx.requests.slice(atRecovery).map((r) => idOf(r.body));
    t.equal(after.length, EVENTS, `${EVENTS} requests after the recovery, no more`);
    t.same(new Set(after), new Set(records.map((r) => r.id)), 'every event delivered exactly once after it');
    t.same((await h.store.list()).items, [], 'still no dead letters');
    // Failed probes are in a delivery's history but spend none of its 3 attempts
    // (probe-attempts.test.ts): every history is numbered 1..n, and at most 3 of them
    // were made before the breaker opened.
    const events = await Promise.all(records.map((r) => h.events.get(r.id)));
    const numbers = events.map((e) => e!.deliveries[0]!.attempts.map((a) => a.attempt));
    t.ok(
      numbers.every((n) => n.every((a, i) => a === i + 1)),
      `every history numbered 1..n (longest ${Math.max(...numbers.map((n) => n.length))})`,
    );
    const [state] = await listDestinations(h.queues, h.config);
    t.equal(state!.state, 'active', 'the breaker closed');
  },
);

import t from 'tap';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, testConfig, waitFor } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// SPEC §5: while suspended "its deliveries wait without spending attempts ... So an
// outage longer than the retry schedule dead-letters nothing that would succeed
// afterwards". A failed probe is an attempt of one waiting delivery, though, and it
// is counted: with few deliveries waiting, the probes of a long outage use up their
// attempts and dead-letter them. Here 2 deliveries, 3 attempts each, a probe a
// second: both are dead letters ~4 s into a 15 s outage (0,0,0,1,2,2,... sampled
// each second). The same happens with the defaults (maxCooldown 10m) once an outage
// has had more failed probes than the waiting deliveries have attempts left.
// Until that is fixed the two checks are todo: they run and show the failure, and
// say so once they pass.
const TODO = { todo: 'a failed probe spends its delivery’s attempt (issue #9)' };

t.test('failed breaker probes do not use up a waiting delivery’s attempts', async (t) => {
  t.setTimeout(60_000);
  const rx = await startHttpReceiver({ fallback: { status: 503 } });
  t.teardown(() => rx.close());
  const h = harness(
    t,
    testConfig(
      {
        sources: { stripe: { routes: [{ to: 'rx' }] } },
        destinations: {
          rx: {
            type: 'http',
            url: rx.url,
            retry: { attempts: 3, backoff: 'fixed', delay: '200ms', jitter: 0 },
            breaker: { failures: 2, cooldown: '1s', maxCooldown: '1s' },
          },
        },
      },
      'probe-attempts',
    ),
  );
  h.startWorker();
  const records = [sampleRecord(), sampleRecord()];
  await Promise.all(records.map((r) => h.publish(r)));
  await sleep(15_000);
  t.comment(`${rx.requests.length} attempts during the 15 s outage`);
  t.same((await h.store.list()).items, [], 'nothing dead-lettered during the outage', TODO);
  rx.setFallback({ status: 204 });
  const events = await waitFor('both settled', async () => {
    const es = await Promise.all(records.map((r) => h.events.get(r.id)));
    return es.every((e) => e?.status === 'delivered' || e?.status === 'failed') && es;
  });
  t.same(
    events.map((e) => e!.status),
    ['delivered', 'delivered'],
    'both delivered after the recovery',
    TODO,
  );
});

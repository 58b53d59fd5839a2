import { randomUUID } from 'node:crypto';
import t from 'tap';
import Stripe from 'stripe';
import { validateConfig } from '../../src/config/load.js';
import { createDeadLetterStore } from '../../src/dead-letter/store.js';
import { createEventHistory } from '../../src/events/index.js';
import { openStore } from '../../src/queue/delivery-queues.js';
import { INTAKE_GROUP } from '../../src/queue/keys.js';
import type { Envelope } from '../../src/record/envelope.js';
import { startCli, writeConfig, type RunningCli } from '../cli/run.js';
import { startHttpReceiver, type ReceivedRequest, type Reply } from '../helpers/http-receiver.js';
import { freePort, startRedisServer } from '../helpers/redis-server.js';
import { storedEvents } from '../helpers/stored-events.js';
import { waitFor } from '../worker/harness.js';

const SECRET = 'whsec_no_loss_under_faults';
const stripe = new Stripe('sk_test_hookgate');

/** How many distinct Stripe events are sent, and how they are paced. */
const EVENTS = 300;
const EVERY_MS = 25;
const CONCURRENCY = 8;
/** Fraction of accepted events sent again later, as Stripe does when unsure. */
const RESEND = 0.1;

/** A seeded PRNG (mulberry32): the same run of faults every time. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The core promise, with real processes and faults combined: a webhook answered 2xx
 * is never lost. `hookgate serve` and two `hookgate worker`s on a throwaway Redis that
 * persists every write (AOF, fsync always); ~300 signed Stripe events sent at a steady
 * rate, some sent twice; while they arrive Redis is restarted, a worker is SIGKILLed
 * (and replaced) and serve is SIGTERMed and started again. The sender behaves like
 * Stripe: a 503 or a refused/reset connection is retried until it gets a 2xx.
 * Afterwards every accepted event reached both destinations (one healthy, one that
 * fails ~30% of calls and sometimes stalls past its timeout), nothing else did, each
 * Stripe event id maps to exactly one hookgate event id, and no delivery is dead.
 */
t.test('a webhook answered 2xx is never lost: Redis restart + worker SIGKILL + serve restart', async (t) => {
  const started = Date.now();
  const random = prng(0x5eed);

  const redis = await startRedisServer();
  t.teardown(() => redis.destroy());

  // Healthy: answers 200. Flaky: a scripted run of replies (500 ~30%, a stall past the
  // destination timeout ~3%, else 200), then 200; request i got script[i].
  const healthy = await startHttpReceiver();
  const flaky = await startHttpReceiver();
  t.teardown(() => Promise.all([healthy.close(), flaky.close()]));
  const script: Reply[] = Array.from({ length: 3000 }, () => {
    const r = random();
    return r < 0.3 ? { status: 500 } : r < 0.33 ? 'stall' : { status: 200 };
  });
  flaky.reply(...script);

  const port = await freePort();
  const prefix = `hgtest-noloss-${randomUUID().slice(0, 8)}`;
  const raw = {
    server: { host: '127.0.0.1', port, shutdownTimeout: '3s' },
    redis: { url: redis.url, prefix },
    defaults: {
      retry: { attempts: 20, backoff: 'exponential', delay: '50ms', maxDelay: '500ms', jitter: 0.2 },
      timeout: '5s',
    },
    // A SIGKILLed worker's deliveries are taken over once its 2s locks lapse.
    worker: { concurrency: 10, lockDuration: '2s', stalledInterval: '500ms', maxStalledCount: 20 },
    logLevel: 'info',
    sources: {
      stripe: {
        verify: { type: 'stripe', secrets: [SECRET] },
        dedupe: true,
        rateLimit: { max: 100_000, window: '1m' },
        routes: [{ to: 'healthy' }, { to: 'flaky' }],
      },
    },
    destinations: {
      healthy: { type: 'http', url: `${healthy.url}/ok` },
      flaky: { type: 'http', url: `${flaky.url}/flaky`, timeout: '1s' },
    },
  };
  const { file, cleanup } = writeConfig(raw);
  t.teardown(cleanup);

  const procs: RunningCli[] = [];
  t.teardown(() => procs.forEach((p) => p.child.kill('SIGKILL')));
  const startServe = async () => {
    const p = await startCli(['serve', '--config', file], /ingress listening/);
    procs.push(p);
    return p;
  };
  const startWorker = async () => {
    const p = await startCli(['worker', '--config', file], /hookgate worker started/);
    procs.push(p);
    return p;
  };
  let serve = await startServe();
  const [workerA] = await Promise.all([startWorker(), startWorker()]);
  const base = `http://127.0.0.1:${port}`;

  // ---- the sender ----------------------------------------------------------------
  /** Stripe event id -> every hookgate-event-id a 2xx answered with. */
  const answers = new Map<string, Set<string>>();
  const refused = { status503: 0, connection: 0, other: 0 };
  const deadline = Date.now() + 40_000;

  /** Sends one Stripe event until a 2xx, like Stripe's retries (fresh signature each time). */
  const deliverUntilAccepted = async (stripeId: string, payload: string): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > deadline) throw new Error(`${stripeId}: no 2xx before the sender's deadline`);
      try {
        const res = await fetch(`${base}/hooks/stripe`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
          },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) {
          const eventId = res.headers.get('hookgate-event-id');
          if (!eventId) throw new Error(`${stripeId}: ${res.status} without hookgate-event-id`);
          let ids = answers.get(stripeId);
          if (!ids) answers.set(stripeId, (ids = new Set()));
          ids.add(eventId);
          return eventId;
        }
        if (res.status === 503) refused.status503++;
        else {
          refused.other++;
          throw new Error(`${stripeId}: unexpected ${res.status}`);
        }
      } catch (err) {
        if ((err as Error).message.startsWith(stripeId)) throw err;
        refused.connection++; // refused, reset, or timed out: the provider retries
      }
      await sleep(Math.min(100 + attempt * 50, 500));
    }
  };

  const payloadOf = (i: number) =>
    JSON.stringify({
      id: `evt_noloss_${prefix.slice(-8)}_${i}`,
      object: 'event',
      type: 'invoice.paid',
      created: Math.floor(Date.now() / 1000),
      data: { object: { customer: `cus_${i % 17}`, amount_paid: 100 + i } },
    });

  let begun = 0;
  const inFlight = new Set<Promise<unknown>>();
  const resends: Promise<unknown>[] = [];
  const send = async () => {
    for (let i = 0; i < EVENTS; i++) {
      while (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
      const payload = payloadOf(i);
      const stripeId = (JSON.parse(payload) as { id: string }).id;
      begun++;
      const resend = random() < RESEND;
      const resendAfter = 200 + Math.floor(random() * 3000);
      const p: Promise<unknown> = deliverUntilAccepted(stripeId, payload).then(() => {
        if (resend) resends.push(sleep(resendAfter).then(() => deliverUntilAccepted(stripeId, payload)));
      });
      inFlight.add(p);
      void p.then(
        () => inFlight.delete(p),
        () => inFlight.delete(p),
      );
      await sleep(EVERY_MS);
    }
    await Promise.all(inFlight);
    // Resends are pushed as their first sends finish: all are known once these settle.
    await Promise.all(resends);
  };

  // ---- the faults, at fixed points of the send -----------------------------------
  const config = validateConfig({ ...raw, logLevel: 'silent' }, { env: {} });
  const watch = openStore(config, 'worker');
  t.teardown(() => watch.close());
  const busy = ['waiting', 'active', 'delayed', 'prioritized'] as const;
  /** Events a worker holds unsettled (intake entries read, not acked). */
  const heldEvents = async () => {
    const summary = (await watch.redis
      .xpending(watch.partitions[0]!.keys.intake, INTAKE_GROUP)
      .catch(() => [0])) as [number];
    return Number(summary[0] ?? 0);
  };
  /** Jobs in each destination's queue that are not final. */
  const queuedJobs = async () => {
    const counts = await Promise.all(
      Object.keys(config.destinations).map((d) => watch.queue(d).getJobCounts(...busy)),
    );
    return Object.fromEntries(Object.keys(config.destinations).map((d, i) => [d, counts[i]!]));
  };
  const faults: string[] = [];
  const at = (n: number) => waitFor(`${n} events begun`, () => begun >= n, 40_000);
  const chaos = async () => {
    await at(60);
    // SIGTERM: an orderly restart, same port and data dir. Away longer than the 2s
    // worker locks, so the deliveries in flight lose them and are recovered as stalled.
    await redis.stop();
    await sleep(2500);
    await redis.start();
    faults.push(`redis restarted at ${Date.now() - started}ms`);

    await at(130);
    // Best effort: kill while deliveries are in flight (a stall holds one for 1s).
    await waitFor(
      'deliveries in flight',
      async () =>
        (await heldEvents()) +
          (
            await Promise.all(Object.keys(config.destinations).map((d) => watch.queue(d).getActiveCount()))
          ).reduce((a, b) => a + b, 0) >=
        4,
      5000,
    ).catch(() => {});
    workerA.child.kill('SIGKILL');
    t.equal((await workerA.done).signal, 'SIGKILL', 'worker A killed');
    await startWorker();
    faults.push(`worker SIGKILLed and replaced at ${Date.now() - started}ms`);

    await at(200);
    serve.child.kill('SIGTERM');
    const exit = await serve.done;
    t.equal(exit.code, 0, `serve exits 0 on SIGTERM ${exit.stderr}`);
    serve = await startServe();
    faults.push(`serve SIGTERMed and restarted at ${Date.now() - started}ms`);
  };

  await Promise.all([send(), chaos()]);
  const sentMs = Date.now() - started;
  t.equal(answers.size, EVENTS, 'every event was eventually answered 2xx');
  t.equal(refused.other, 0, 'no answer other than 2xx or 503');

  // ---- convergence: every accepted event reached both receivers -------------------
  const accepted = new Set<string>();
  for (const ids of answers.values()) for (const id of ids) accepted.add(id);

  /** Envelopes a receiver took (answered 2xx), by event id, with how many times. */
  const tally = (requests: readonly ReceivedRequest[], ok: (i: number) => boolean) => {
    const byId = new Map<string, { count: number; dedupeKey: string | undefined }>();
    requests.forEach((req, i) => {
      if (!ok(i)) return;
      const env = JSON.parse(req.body.toString()) as Envelope;
      const seen = byId.get(env.id);
      if (seen) seen.count++;
      else byId.set(env.id, { count: 1, dedupeKey: env.requestContext.dedupeKey });
    });
    return byId;
  };
  const okHealthy = () => true;
  const okFlaky = (i: number) => {
    const r = script[i];
    return r === undefined || (typeof r === 'object' && r.status === 200);
  };
  const missing = () => {
    const h = tally(healthy.requests, okHealthy);
    const f = tally(flaky.requests, okFlaky);
    return [...accepted].filter((id) => !h.has(id) || !f.has(id));
  };
  try {
    await waitFor('every accepted event at both receivers', () => missing().length === 0, 60_000);
  } catch {
    t.fail('accepted events not delivered to both destinations', { missing: missing().slice(0, 20) });
  }

  // Let everything settle (late retries of deliveries that already succeeded, events a
  // killed worker left to be claimed), then read what Redis holds.
  await watch.ready();
  const history = createEventHistory(watch, config);
  const idle = async () => {
    const [held, queued, pending] = await Promise.all([
      heldEvents(),
      queuedJobs(),
      history.list({ status: 'pending', limit: 1 }),
    ]);
    const jobs = Object.values(queued).every((c) => Object.values(c).every((n) => n === 0));
    return held === 0 && jobs && pending.items.length === 0;
  };
  try {
    await waitFor('every event settled', idle, 20_000);
  } catch {
    t.fail('events still unsettled', {
      heldEvents: await heldEvents(),
      queued: await queuedJobs(),
      pending: (await history.list({ status: 'pending', limit: 20 })).items,
    });
  }

  // ---- the contract ------------------------------------------------------------
  const h = tally(healthy.requests, okHealthy);
  const f = tally(flaky.requests, okFlaky);
  const lost = [...accepted].filter((id) => !h.has(id) || !f.has(id));
  t.same(lost, [], 'every event answered 2xx was delivered to both destinations');

  const unknown = [...new Set([...h.keys(), ...f.keys()])].filter((id) => !accepted.has(id));
  t.same(unknown, [], 'no delivery of an event that was never answered 2xx');
  const allReceived = [...healthy.requests, ...flaky.requests].map(
    (r) => (JSON.parse(r.body.toString()) as Envelope).id,
  );
  t.same(
    allReceived.filter((id) => !accepted.has(id)),
    [],
    'not even an attempt for an event never accepted',
  );

  const splitAnswers = [...answers].filter(([, ids]) => ids.size !== 1);
  t.same(
    splitAnswers.map(([s, ids]) => [s, [...ids]]),
    [],
    'each Stripe event id was answered with one hookgate event id (dedupe held)',
  );
  t.equal(accepted.size, EVENTS, 'as many hookgate events as Stripe events');
  const byDedupeKey = new Map<string, Set<string>>();
  for (const [id, { dedupeKey }] of [...h, ...f]) {
    const ids = byDedupeKey.get(dedupeKey ?? '') ?? new Set<string>();
    byDedupeKey.set(dedupeKey ?? '', ids.add(id));
  }
  t.same(
    [...byDedupeKey].filter(([, ids]) => ids.size !== 1).map(([k, ids]) => [k, [...ids]]),
    [],
    'each delivered dedupeKey (Stripe id) maps to one event id',
  );
  t.same(new Set(byDedupeKey.keys()), new Set(answers.keys()), 'delivered dedupeKeys are the Stripe ids');

  const stored = await storedEvents(watch.redis, prefix);
  t.equal(stored.length, EVENTS, 'one stored event per Stripe event');
  t.same(
    stored.filter((e) => !e.marks).map((e) => e.eventId),
    [],
    'all routed',
  );
  t.same(new Set(stored.map((e) => e.eventId)), accepted, 'the stored events are the accepted ones');
  let records = 0;
  let cursor = '0';
  do {
    const [next, keys] = await watch.redis.scan(
      cursor,
      'MATCH',
      watch.partitions[0]!.keys.record('*'),
      'COUNT',
      1000,
    );
    cursor = next;
    records += keys.length;
  } while (cursor !== '0');
  t.equal(records, EVENTS, 'one record per event in Redis');
  const statuses = new Map<string, number>();
  for (let page = await history.list({ limit: 1000 }); ;) {
    for (const e of page.items) statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
    if (!page.nextCursor) break;
    page = await history.list({ limit: 1000, cursor: page.nextCursor });
  }
  t.same(
    Object.fromEntries(statuses),
    { delivered: EVENTS },
    'every event delivered, as events list tells it',
  );
  const dead = await createDeadLetterStore(watch, config).list({ limit: 1000 });
  t.same(
    dead.items.map((d) => d.id),
    [],
    'the dead-letter store is empty',
  );

  // ---- report ------------------------------------------------------------------
  const dupes = (m: Map<string, { count: number }>) => {
    let extra = 0;
    let events = 0;
    for (const { count } of m.values())
      if (count > 1) {
        extra += count - 1;
        events++;
      }
    return `${extra} extra deliveries over ${events} events`;
  };
  const resent = resends.length;
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const exits = await Promise.all(procs.map((p) => p.done));
  // Events a worker took over from a killed one, as the workers logged them.
  let recovered = 0;
  for (const { stdout } of exits)
    for (const line of stdout.split('\n')) {
      if (!line.includes('claimed events left by a stopped worker')) continue;
      recovered += Number((JSON.parse(line) as { entries?: number }).entries ?? 0);
    }
  t.comment(
    `${EVENTS} events (${resent} re-sent) in ${sentMs}ms; ` +
      `sender retried ${refused.status503} x 503 and ${refused.connection} x connection error; ` +
      `faults: ${faults.join('; ')}`,
  );
  t.comment(
    `duplicates: healthy ${dupes(h)} (${healthy.requests.length} requests), ` +
      `flaky ${dupes(f)} (${flaky.requests.length} requests, ${f.size} events taken); ` +
      `${recovered} events claimed from a stopped worker; ` +
      `total ${Date.now() - started}ms`,
  );
});

import t, { type Test } from 'tap';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver, type HttpReceiverOptions } from '../helpers/http-receiver.js';
import { pgQuery } from '../helpers/postgres.js';
import { newEventId } from '../../src/record/id.js';
import { harness, keyKinds, testConfig, waitFor, withEventLog } from './harness.js';

/** A worker harness with an event log and one source routed to one real receiver, `a`. */
async function oneRoute(t: Test, label: string, receiver: HttpReceiverOptions) {
  const rx = await startHttpReceiver(receiver);
  t.teardown(() => rx.close());
  const h = harness(
    t,
    withEventLog(
      testConfig({
        sources: { stripe: { routes: [{ to: 'a' }] } },
        destinations: { a: { type: 'http', url: rx.url } },
      }),
      label,
    ),
  );
  return { rx, h };
}

function stripeRecord(i: number, type = 'invoice.paid', at = Date.now()) {
  const r = sampleRecord({
    body: JSON.stringify({ id: `evt_${i}`, type, data: { object: { n: i, note: `order-${i}-blue` } } }),
  });
  r.id = newEventId(at);
  r.timestamp = new Date(at).toISOString();
  r.requestContext.dedupeKey = `evt_${i}`;
  r.requestContext.eventType = type;
  return r;
}

t.test('with an event log, history moves to PostgreSQL and Redis keeps only the dedupe keys', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const h = harness(
    t,
    withEventLog(
      testConfig({
        sources: { stripe: { routes: [{ to: 'a' }, { to: 'b' }] } },
        destinations: { a: { type: 'http', url: rx.url }, b: { type: 'http', url: `${rx.url}/b` } },
      }),
    ),
  );
  const worker = h.startWorker();
  const records = Array.from({ length: 40 }, (_, i) =>
    stripeRecord(i, i % 2 ? 'invoice.paid' : 'charge.failed'),
  );
  for (const r of records) await h.publish(r);
  await rx.waitForRequests(80);
  await waitFor('every event in the log', () => worker.logWriter!.written >= 40 || undefined);
  t.ok(worker.logWriter!.keepingUp(), 'the writer keeps up (records are settled uncompressed)');
  const schema = h.config.eventLog!.postgres.schema;
  await waitFor('records let go', async () => !(await keyKinds(h)).get('hg:e') || undefined);

  const rows = await pgQuery<{ id: string; status: string; event_type: string; dedupe_key: string }>(
    `SELECT id, status, event_type, dedupe_key FROM "${schema}".events ORDER BY id`,
  );
  t.equal(rows.length, 40, 'one row per event');
  t.ok(
    rows.every((r) => r.status === 'delivered'),
    'each delivered',
  );
  t.same(new Set(rows.map((r) => r.event_type)), new Set(['invoice.paid', 'charge.failed']));
  const deliveries = await pgQuery<{ n: string }>(
    `SELECT count(*) AS n FROM "${schema}".deliveries WHERE state = 'delivered' AND jsonb_array_length(attempts) = 1`,
  );
  t.equal(Number(deliveries[0]!.n), 80, 'two deliveries per event, each with its attempt');

  await waitFor(
    'intake trimmed',
    async () => (await h.queues.redis.xlen(h.queues.partitions[0]!.keys.intake)) <= 1 || undefined,
    10_000,
  );
  const kinds = await keyKinds(h);
  t.equal(kinds.get('hg:dd'), 40, 'dedupe keys stay for retention.dedupe');
  t.notOk(kinds.get('hg:e'), 'no record left in Redis');
  t.notOk(kinds.get('hg:s'), 'no status key left');
  t.equal(await h.queues.redis.xlen(h.queues.partitions[0]!.keys.log), 0, 'log stream drained');

  // Read back through the history: from the log now.
  const one = await h.events.get(records[3]!.id);
  t.equal(one?.status, 'delivered');
  t.equal(one?.envelope.requestPayload.body, records[3]!.requestPayload.body, 'the body exactly as received');
  t.same(one?.envelope.requestPayload.headers, records[3]!.requestPayload.headers);
  t.same(
    one?.deliveries.map((d) => [d.id, d.status, d.attempts.length]),
    [
      [`${records[3]!.id}~a`, 'delivered', 1],
      [`${records[3]!.id}~b`, 'delivered', 1],
    ],
  );
  t.equal((await h.events.get('evt_7'))?.id, records[7]!.id, 'found by dedupe key');

  const paid = await h.events.list({ type: 'invoice.paid', limit: 100 });
  t.equal(paid.items.length, 20, 'type filter');
  const blue = await h.events.list({ q: 'order-5-BLUE' });
  t.same(
    blue.items.map((e) => e.id),
    [records[5]!.id],
    'q: text in the body, any case',
  );
  t.same(
    (await h.events.list({ q: records[9]!.id })).items.map((e) => e.id),
    [records[9]!.id],
    'q: event id',
  );
  t.same(
    (await h.events.list({ q: 'evt_11' })).items.map((e) => e.id),
    [records[11]!.id],
    'q: dedupe key',
  );
  t.equal((await h.events.list({ status: 'failed' })).items.length, 0, 'status filter');

  // Pages walk the whole log, newest first, without repeats.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await h.events.list({ limit: 7, ...(cursor ? { cursor } : {}) });
    seen.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  t.same(seen, [...records].map((r) => r.id).reverse(), 'every event once, newest first');

  // A replay brings the event back into Redis, delivers it, and the log gets the replay.
  const before = rx.requests.length;
  const replay = await h.events.replay(records[0]!.id, { destination: 'a' });
  t.equal(replay.deliveries.length, 1);
  await rx.waitForRequests(before + 1);
  await waitFor('replay logged', async () => {
    const r = await pgQuery<{ state: string }>(
      `SELECT state FROM "${schema}".deliveries WHERE event_id = $1 AND delivery_key LIKE 'a~replay-%'`,
      [records[0]!.id],
    );
    return r[0]?.state === 'delivered' || undefined;
  });
  const replayed = await waitFor('replay shown', async () => {
    const e = await h.events.get(records[0]!.id);
    return e && e.deliveries.length === 3 && e.deliveries.every((d) => d.status === 'delivered')
      ? e
      : undefined;
  });
  t.equal(replayed.deliveries.find((d) => d.replayOf)?.attempts[0]?.attempt, 2, 'attempt numbers count on');
  await waitFor('let go again', async () => !(await keyKinds(h)).get('hg:e') || undefined);
});

t.test(
  'a dead letter whose event only the log has: dlq show reads it there, dlq replay brings it back',
  async (t) => {
    const { rx, h } = await oneRoute(t, 'dlqlog', { fallback: { status: 400 } });
    h.startWorker();
    const r = stripeRecord(1);
    await h.publish(r);
    const dlqId = `${r.id}~a`;
    await waitFor('dead-lettered', async () => (await h.store.get(dlqId)) ?? undefined);
    // The event is final (failed): once logged Redis lets go of its record; the job stays as the dead letter.
    await waitFor(
      'record let go',
      async () => (await h.queues.redis.exists(h.queues.partitions[0]!.keys.record(r.id))) === 0 || undefined,
    );
    const dead = await h.store.get(dlqId);
    t.equal(dead?.envelope?.id, r.id, 'dlq show: the envelope from the log');
    t.equal(dead?.envelope?.requestPayload.body, r.requestPayload.body);
    const shown = await h.events.get(r.id);
    t.equal(shown?.status, 'failed');
    t.same(
      (await h.events.list({ status: 'failed' })).items.map((e) => e.id),
      [r.id],
      'status=failed finds it in the log',
    );
    t.match(
      shown?.deliveries[0]?.attempts[0]?.error,
      /answered 400/,
      'the attempt and its error are in the log',
    );

    rx.setFallback({ status: 204 });
    const result = await h.store.replay([dlqId]);
    t.same(result.done, [dlqId]);
    await rx.waitForRequests(2);
    const delivered = await waitFor('delivered after replay', async () => {
      const e = await h.events.get(r.id);
      return e?.status === 'delivered' ? e : undefined;
    });
    t.equal(delivered.deliveries[0]?.attempts.length, 2, 'both attempts: the dead one and the replay');
    const schema = h.config.eventLog!.postgres.schema;
    await waitFor('logged delivered', async () => {
      const rows = await pgQuery<{ status: string }>(`SELECT status FROM "${schema}".events WHERE id = $1`, [
        r.id,
      ]);
      return rows[0]?.status === 'delivered' || undefined;
    });
    await waitFor(
      'let go again',
      async () => (await h.queues.redis.exists(h.queues.partitions[0]!.keys.record(r.id))) === 0 || undefined,
    );
    t.equal((await h.events.get(r.id))?.status, 'delivered', 'and read back from the log');
  },
);

t.test('an event Redis lost (expired) is still shown from the log', async (t) => {
  const { h } = await oneRoute(t, 'lost', {});
  const worker = h.startWorker();
  const r = stripeRecord(2);
  await h.publish(r);
  await waitFor('logged', () => worker.logWriter!.written >= 1 || undefined);
  await h.queues.redis.del(
    h.queues.partitions[0]!.keys.record(r.id),
    h.queues.partitions[0]!.keys.status(r.id),
  );
  const e = await h.events.get(r.id);
  t.equal(e?.id, r.id);
  t.equal(e?.status, 'delivered');
});

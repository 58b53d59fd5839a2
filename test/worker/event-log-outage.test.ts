import t from 'tap';
import { eventLogLag } from '../../src/metrics/sampler.js';
import { newEventId } from '../../src/record/id.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { pgQuery, uniqueSchema } from '../helpers/postgres.js';
import { postgresBin, startPostgresServer } from '../helpers/postgres-server.js';
import { harness, testConfig, waitFor } from './harness.js';

function record(i: number) {
  const r = sampleRecord({ body: JSON.stringify({ id: `evt_${i}`, type: 'invoice.paid' }) });
  r.id = newEventId();
  r.requestContext.dedupeKey = `evt_${i}`;
  return r;
}

t.test(
  'PostgreSQL stopped mid-run: delivery goes on, the log lags, then catches up with nothing lost',
  { skip: postgresBin() ? false : 'no initdb/pg_ctl on this machine' },
  async (t) => {
    const pgServer = await startPostgresServer();
    t.teardown(() => pgServer.destroy());
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const schema = uniqueSchema('outage');
    const base = testConfig({
      sources: { stripe: { routes: [{ to: 'a' }] } },
      destinations: { a: { type: 'http', url: rx.url } },
    });
    const h = harness(t, { ...base, eventLog: { postgres: { url: pgServer.url, schema, pool: 2 } } });
    const worker = h.startWorker();
    const before = Array.from({ length: 50 }, (_, i) => record(i));
    for (const r of before) await h.publish(r);
    await waitFor('first events logged', () => worker.logWriter!.written >= 50 || undefined);

    await pgServer.stop();
    const during = Array.from({ length: 150 }, (_, i) => record(100 + i));
    for (const r of during) await h.publish(r);
    // Delivery does not wait for the log.
    await rx.waitForRequests(200);
    await waitFor('the log lags', async () => ((await eventLogLag(h.queues)) > 0.2 ? true : undefined));
    const inFlight = await h.events.get(during[7]!.id);
    t.equal(inFlight?.status, 'delivered', 'an event not yet in the log is found in Redis');
    t.ok(
      (await h.queues.redis.xlen(h.queues.partitions[0]!.keys.log)) > 0,
      'state changes wait in the log stream',
    );
    // The writer failing: records are settled deflated again (a backlog costs Redis no more than without a log).
    await waitFor('the writer is not keeping up', () => !worker.logWriter!.keepingUp() || undefined);
    const late = record(300);
    await h.publish(late);
    await rx.waitForRequests(201);
    await waitFor('late event settled', async () => {
      const v = await h.queues.redis.getBuffer(h.queues.partitions[0]!.keys.record(late.id));
      return v && v[0] !== 0x7b ? v : undefined;
    });
    const lateValue = await h.queues.redis.getBuffer(h.queues.partitions[0]!.keys.record(late.id));
    t.equal(lateValue?.[0], 0x01, 'settled deflated while PostgreSQL is away');
    during.push(late);

    await pgServer.start();
    await waitFor(
      'caught up',
      async () => ((await h.queues.redis.xlen(h.queues.partitions[0]!.keys.log)) === 0 ? true : undefined),
      30_000,
    );
    t.equal(await eventLogLag(h.queues), 0, 'lag back to 0');
    const rows = await pgQuery<{ id: string; status: string }>(
      `SELECT id, status FROM "${schema}".events`,
      [],
      pgServer.url,
    );
    t.equal(rows.length, 201, 'every event in the log');
    t.same(
      new Set(rows.map((r) => r.id)),
      new Set([...before, ...during].map((r) => r.id)),
      'exactly the accepted events',
    );
    t.ok(rows.every((r) => r.status === 'delivered'));
    await waitFor('records let go', async () => {
      const left = await Promise.all(
        [...before, ...during].map((r) => h.queues.redis.exists(h.queues.partitions[0]!.keys.record(r.id))),
      );
      return left.every((n) => n === 0) || undefined;
    });
  },
);

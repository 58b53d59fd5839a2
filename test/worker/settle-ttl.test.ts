import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { INTAKE_GROUP } from '../../src/queue/keys.js';
import { sampleRecord } from '../destinations/record.js';
import { harness, testConfig, waitFor, type Harness } from './harness.js';

const HOUR = 3_600_000;

/** Answers every request with `status`, `delayMs` after it arrived. */
async function receiver(t: Test, status: number, delayMs = 0): Promise<{ url: string; count: () => number }> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, count: () => count };
}

/** The one intake entry read by the worker's group and settled (no longer pending). */
async function settled(h: Harness): Promise<void> {
  const intake = h.queues.partitions[0]!.keys.intake;
  await waitFor('intake settled', async () => {
    const groups = (await h.queues.redis.xinfo('GROUPS', intake).catch(() => [])) as unknown[][];
    const flat = groups.find((g) => g[g.indexOf('name') + 1] === INTAKE_GROUP) ?? [];
    const field = (name: string) => Number(flat[flat.indexOf(name) + 1]);
    return field('entries-read') >= 1 && field('pending') === 0;
  });
}

/**
 * One event routed to a receiver answering `status` after `delayMs`, with `retention`;
 * resolves once the worker has settled it, with its record's key.
 */
async function settleOne(
  t: Test,
  retention: Record<string, string>,
  status: number,
  delayMs = 0,
): Promise<{ h: Harness; key: string; received: () => number }> {
  const rx = await receiver(t, status, delayMs);
  const h = harness(
    t,
    testConfig({
      retention,
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url } },
    }),
  );
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  await settled(h);
  return { h, key: h.queues.partitions[0]!.keys.record(record.id), received: rx.count };
}

t.test('settling a delivered event keeps the TTL the ingress gave its record', async (t) => {
  const { h, key } = await settleOne(t, { events: '1h' }, 204);
  const value = await h.queues.redis.getBuffer(key);
  t.equal(
    value?.[0],
    0x01,
    `the routed record replaced the ingress one (${value?.subarray(0, 20).toString()})`,
  );
  const ttl = await h.queues.redis.pttl(key);
  t.ok(ttl > HOUR - 60_000 && ttl <= HOUR, `TTL still the ingress's hour (${ttl} ms)`);
});

t.test("a dead letter's record is kept for retention.deadLetters", async (t) => {
  const { h, key } = await settleOne(t, { events: '1h', deadLetters: '5h' }, 400);
  const ttl = await h.queues.redis.pttl(key);
  t.ok(ttl > 5 * HOUR - 60_000 && ttl <= 5 * HOUR, `TTL raised to 5 h (${ttl} ms)`);
});

t.test('a record that expired during its first attempt is not brought back', async (t) => {
  const { h, key, received } = await settleOne(t, { events: '400ms' }, 204, 1200);
  t.equal(received(), 1, 'delivered');
  t.equal(await h.queues.redis.exists(key), 0, 'no record');
});

t.test('unless a dead letter needs it: then it is back, for retention.deadLetters', async (t) => {
  const { h, key } = await settleOne(t, { events: '400ms', deadLetters: '5h' }, 400, 1200);
  const ttl = await h.queues.redis.pttl(key);
  t.ok(ttl > 5 * HOUR - 60_000 && ttl <= 5 * HOUR, `TTL 5 h (${ttl} ms)`);
  const letters = await h.store.list({ limit: 10 });
  t.equal(letters.items.length, 1, 'the dead letter');
});

import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { INTAKE_GROUP } from '../../src/queue/keys.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { REDIS_URL } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { FAST_RETRY, harness, testConfig, waitFor } from '../worker/harness.js';
import { startCli, writeConfig } from './run.js';

/** `hookgate worker` as a real process, once it logs that it started. */
const startWorkerProcess = (file: string) =>
  startCli(['worker', '--config', file], /hookgate worker started/);

function setup(t: Test, raw: Record<string, unknown>, label: string) {
  const config = testConfig(raw, label);
  const { file, cleanup } = writeConfig({
    ...raw,
    redis: { url: REDIS_URL, prefix: config.redis.prefix },
    defaults: { retry: FAST_RETRY, timeout: '20s' },
    logLevel: 'info',
  });
  t.teardown(cleanup);
  return { h: harness(t, config), file };
}

t.test('a worker SIGKILLed mid-delivery loses nothing: a restarted worker completes it', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  rx.reply('stall');
  const { h, file } = setup(
    t,
    {
      sources: { stripe: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url } },
      // A dead worker's lock lapses after 1s; the stalled check runs every 300ms.
      worker: { lockDuration: '1s', stalledInterval: '300ms', maxStalledCount: 3 },
    },
    'sigkill',
  );
  const first = await startWorkerProcess(file);
  t.teardown(() => void first.child.kill('SIGKILL'));
  const record = sampleRecord();
  await h.publish(record);
  await rx.waitForRequests(1);
  // In flight when killed: the event is not settled, its intake entry held by the worker.
  t.equal((await h.events.get(record.id))?.status, 'pending', 'in flight when killed');
  const [held] = (await h.queues.redis.xpending(h.queues.partitions[0]!.keys.intake, INTAKE_GROUP)) as [
    number,
  ];
  t.equal(held, 1, 'its intake entry is pending with the worker');
  first.child.kill('SIGKILL');
  t.equal((await first.done).signal, 'SIGKILL');

  const second = await startWorkerProcess(file);
  t.teardown(() => void second.child.kill('SIGKILL'));
  const [, again] = await rx.waitForRequests(2);
  const body = JSON.parse(again!.body.toString()) as Envelope;
  t.equal(body.id, record.id, 'the same event');
  t.equal(body.requestContext.approximateInvokeCount, 2, 'the receiver can tell it may have seen it');
  const event = await waitFor('delivered', async () => {
    const e = await h.events.get(record.id);
    return e?.status === 'delivered' && e;
  });
  t.same(
    event.deliveries.map((d) => d.id),
    [deliveryId(record.id, 'rx')],
  );
  t.match(event.deliveries[0]!.attempts.at(-1), { outcome: 'success' });
  t.equal(event.deliveries[0]!.attempts.at(-1)?.attempt, 2, 'recorded as the second attempt');

  second.child.kill('SIGTERM');
  const exit = await second.done;
  t.equal(exit.code, 0, exit.stderr);
  t.equal(rx.requests.length, 2);
});

t.test('SIGTERM lets an in-flight delivery finish, then exits 0', async (t) => {
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => held.push(res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { h, file } = setup(
    t,
    { sources: { s: { routes: [{ to: 'slow' }] } }, destinations: { slow: { type: 'http', url } } },
    'sigterm',
  );
  const worker = await startWorkerProcess(file);
  t.teardown(() => void worker.child.kill('SIGKILL'));
  const record = sampleRecord({ source: 's' });
  await h.publish(record);
  await waitFor('request held', () => held.length === 1);
  worker.child.kill('SIGTERM');
  // Still running while the delivery is in flight: it must not exit before answering.
  await new Promise((r) => setTimeout(r, 300));
  t.equal(worker.child.exitCode, null, 'waiting for the in-flight delivery');
  held[0]!.writeHead(200).end();
  const exit = await worker.done;
  t.equal(exit.code, 0, exit.stderr);
  const event = await h.events.get(record.id);
  t.equal(event?.status, 'delivered', 'settled before the exit');
  t.same(
    event?.deliveries.map((d) => [d.id, d.status]),
    [[deliveryId(record.id, 'slow'), 'delivered']],
  );
});

t.test('SIGTERM while Redis is gone still exits 0', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.destroy());
  const { file, cleanup } = writeConfig({
    redis: { url: redis.url, prefix: 'gone' },
    server: { shutdownTimeout: '1s' },
    logLevel: 'info',
    sources: { s: { routes: [{ to: 'rx' }] } },
    destinations: { rx: { type: 'http', url: 'http://127.0.0.1:9/' } },
  });
  t.teardown(cleanup);
  const worker = await startWorkerProcess(file);
  t.teardown(() => void worker.child.kill('SIGKILL'));
  await redis.kill();
  worker.child.kill('SIGTERM');
  const exit = await worker.done;
  t.equal(exit.code, 0, exit.stderr);
  t.match(exit.stdout, /"msg":"stopped"/);
});

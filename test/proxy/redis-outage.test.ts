import t from 'tap';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { call, json } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * Redis goes away under a running proxy (a throwaway redis-server, SIGKILLed and
 * restarted on the same port). The upstream has acted on every call by the time a
 * record exists, so the caller's answer never depends on Redis: records wait in the
 * bounded buffer and are written, then delivered, once Redis is back.
 */
t.test(
  'after-response: the caller gets its answer while Redis is down; the record is delivered later',
  async (t) => {
    const redis = await startRedisServer();
    t.teardown(() => redis.destroy());
    const up = await startUpstream({
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":1}',
    });
    const rx = await startHttpReceiver();
    t.teardown(() => Promise.all([up.close(), rx.close()]));
    const gw = await gateway(
      t,
      {
        server: { enqueueTimeout: '500ms' },
        sources: {
          api: {
            mode: 'proxy',
            path: '/api',
            upstream: { url: up.url },
            routes: [{ to: 'rx', on: 'success' }],
          },
        },
        destinations: { rx: { type: 'http', url: rx.url } },
      },
      { redisUrl: redis.url },
    );
    gw.startWorker();

    const before = await call(`${gw.url}/api`, { body: '{"n":0}' });
    t.equal(before.status, 201);
    await rx.waitForRequests(1);

    await redis.kill();
    const during: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const answer = await call(`${gw.url}/api`, { body: `{"n":${i}}` });
      t.equal(answer.status, 201, "the upstream's answer, Redis or not");
      t.equal(answer.body.toString(), '{"ok":1}');
      during.push(answer.headers['hookgate-event-id'] as string);
    }
    t.equal(up.requests.length, 4);
    await eventually(() =>
      gw.logs.some((l) => l.includes('buffered until Redis answers')) ? true : undefined,
    );

    await redis.start();
    const delivered = await rx.waitForRequests(4, 60_000);
    // Deliveries run concurrently: the order they arrive in is not part of the contract.
    t.same(
      delivered
        .slice(1)
        .map((r) => r.headers['webhook-id'])
        .sort(),
      [...during].sort(),
      'each buffered record is delivered once Redis is back',
    );
    t.same(
      delivered
        .slice(1)
        .map(
          (r) => (JSON.parse(r.body.toString()) as { requestPayload: { body: string } }).requestPayload.body,
        )
        .sort(),
      ['{"n":1}', '{"n":2}', '{"n":3}'],
    );
    t.equal(await gw.metric('hookgate_records_lost_total', { source: 'api' }), 0, 'nothing lost');
  },
);

t.test(
  'before-response: the answer waits for Redis; with Redis down, refused before the upstream is called',
  async (t) => {
    const redis = await startRedisServer();
    t.teardown(() => redis.destroy());
    const up = await startUpstream({ status: 200, body: 'done' });
    t.teardown(() => up.close());
    const gw = await gateway(
      t,
      {
        server: { enqueueTimeout: '500ms' },
        sources: {
          api: { mode: 'proxy', path: '/api', record: 'before-response', upstream: { url: up.url } },
        },
      },
      { redisUrl: redis.url },
    );

    const stored = await call(`${gw.url}/api`, { body: '1' });
    t.equal(stored.status, 200);
    t.ok(
      await gw.record(stored.headers['hookgate-event-id'] as string),
      'stored before the caller was answered',
    );

    await redis.kill();
    // Redis died after the last good write: this call reaches the upstream, whose action
    // cannot be undone. Its answer goes through; the record waits in the buffer.
    const acted = await call(`${gw.url}/api`, { body: '2' });
    t.equal(acted.status, 200, "the upstream's answer, not a 503 for an action that happened");
    t.equal(acted.body.toString(), 'done');
    t.equal(up.requests.length, 2);

    // Now the gateway knows Redis is away: refuse before anything happens.
    const refused = await call(`${gw.url}/api`, { body: '3' });
    t.equal(refused.status, 503);
    t.ok(Number(refused.headers['retry-after']) > 0);
    t.equal((json(refused) as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
    t.equal(up.requests.length, 2, 'the upstream was not called');

    await redis.start();
    let back;
    do back = await call(`${gw.url}/api`, { body: '4' });
    while (back.status === 503);
    t.equal(back.status, 200, 'served again once Redis answers, without a restart');
    t.ok(await gw.record(back.headers['hookgate-event-id'] as string));
    const buffered = await eventually(() => gw.record(acted.headers['hookgate-event-id'] as string));
    t.equal(buffered.requestPayload.body, '2', 'the buffered record was written after all');
    t.notOk(up.requests.some((r) => r.body.toString() === '3'));
  },
);

t.test('the buffer is bounded: overflow is logged and counted as lost', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.destroy());
  const up = await startUpstream({ status: 200 });
  t.teardown(() => up.close());
  const gw = await gateway(
    t,
    {
      server: { enqueueTimeout: '500ms' },
      sources: { api: { mode: 'proxy', path: '/api', bufferSize: 1, upstream: { url: up.url } } },
    },
    { redisUrl: redis.url },
  );
  const warm = await call(`${gw.url}/api`, { body: 'warm' });
  t.equal(warm.status, 200);
  // Written before Redis goes: only the records made during the outage are at stake.
  await eventually(() => gw.record(warm.headers['hookgate-event-id'] as string));

  await redis.kill();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const answer = await call(`${gw.url}/api`, { body: `${i}` });
    t.equal(answer.status, 200);
    ids.push(answer.headers['hookgate-event-id'] as string);
  }
  await eventually(async () =>
    (await gw.metric('hookgate_records_lost_total', { source: 'api', reason: 'overflow' })) === 2
      ? true
      : undefined,
  );
  const lost = gw.logs.filter((l) => l.includes('record buffer is full'));
  t.equal(lost.length, 2);
  t.same(
    lost.map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    ids.slice(1),
    'each lost record is logged with its event id',
  );

  await redis.start();
  const kept = await eventually(() => gw.record(ids[0]!));
  t.equal(kept.requestPayload.body, '0', 'the one that fitted is written');
  t.notOk(await gw.record(ids[1]!));
  t.notOk(await gw.record(ids[2]!));
});

t.test(
  'shutdown: buffered records still unwritable at shutdownTimeout are counted lost, and close returns',
  async (t) => {
    const redis = await startRedisServer();
    t.teardown(() => redis.destroy());
    const up = await startUpstream({ status: 200 });
    t.teardown(() => up.close());
    const gw = await gateway(
      t,
      {
        server: { enqueueTimeout: '300ms', shutdownTimeout: '500ms' },
        sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url } } },
      },
      { redisUrl: redis.url },
    );
    const warm = await call(`${gw.url}/api`, { body: 'warm' });
    t.equal(warm.status, 200);
    // Written before Redis goes: only the records made during the outage are at stake.
    await eventually(() => gw.record(warm.headers['hookgate-event-id'] as string));
    await redis.kill();
    t.equal((await call(`${gw.url}/api`, { body: 'a' })).status, 200);
    t.equal((await call(`${gw.url}/api`, { body: 'b' })).status, 200);
    await eventually(() =>
      gw.logs.filter((l) => l.includes('buffered until Redis answers')).length === 2 ? true : undefined,
    );

    await gw.close();
    t.equal(await gw.metric('hookgate_records_lost_total', { source: 'api', reason: 'shutdown' }), 2);
    t.equal(gw.logs.filter((l) => l.includes('still not stored when shutdown ran out of time')).length, 2);
  },
);

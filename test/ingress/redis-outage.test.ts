import t from 'tap';
import { startRedisServer } from '../helpers/redis-server.js';
import { ingress } from './harness.js';
import { send, type HttpResponse } from './http-client.js';

/**
 * Redis stopped and restarted under a running gateway (real HTTP, a throwaway
 * redis-server that persists every write): 503 + retry-after while it is away,
 * 2xx again once it is back, without restarting anything, and every event that was
 * answered 2xx is stored afterwards.
 */
t.test('Redis killed mid-test, then restarted on the same port', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.destroy());
  const h = await ingress(
    t,
    {
      server: { enqueueTimeout: '500ms' },
      sources: { s: { dedupe: { header: 'x-delivery' }, rateLimit: { max: 10000 } } },
    },
    { redisUrl: server.url },
  );
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const acknowledged: string[] = [];
  let n = 0;
  const deliver = async (delivery = `d-${n++}`): Promise<HttpResponse> => {
    const res = await send(`${base}/hooks/s`, {
      headers: { 'content-type': 'application/json', 'x-delivery': delivery },
      body: JSON.stringify({ delivery }),
    });
    if (res.status >= 200 && res.status < 300) acknowledged.push(res.headers['hookgate-event-id'] as string);
    return res;
  };

  for (let i = 0; i < 5; i++) t.equal((await deliver()).status, 204);

  await server.kill();
  for (let i = 0; i < 3; i++) {
    const res = await deliver(i === 0 ? 'd-during-outage' : undefined);
    t.equal(res.status, 503, 'refused while Redis is down');
    t.ok(Number(res.headers['retry-after']) > 0, 'with retry-after');
    t.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
  }
  t.equal((await send(`${base}/readyz`, { method: 'GET' })).status, 503);
  t.equal((await send(`${base}/healthz`, { method: 'GET' })).status, 200, 'alive all the same');

  await server.start();
  // The gateway reconnects on its own schedule: retry like a provider would.
  let back: HttpResponse;
  do back = await deliver();
  while (back.status === 503);
  t.equal(back.status, 204, 'accepted again without a restart');
  t.equal((await send(`${base}/readyz`, { method: 'GET' })).status, 200);
  const retried = await deliver('d-during-outage');
  t.equal(retried.status, 204, "the refused delivery's retry is accepted, not taken for a duplicate");

  const stored = new Set((await h.stored()).map((e) => e.eventId));
  t.equal(acknowledged.length, 7);
  for (const id of acknowledged) t.ok(stored.has(id), `acknowledged ${id} is stored`);
});

t.test('a stalled Redis (SIGSTOP): 503 instead of a hang, then recovery', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.destroy());
  const h = await ingress(
    t,
    { server: { enqueueTimeout: '500ms' }, sources: { s: { rateLimit: { max: 10000 } } } },
    { redisUrl: server.url },
  );
  const post = () => h.app.inject({ method: 'POST', url: '/hooks/s', payload: '{}' });
  const ok = await post();
  t.equal(ok.statusCode, 204);

  server.pause();
  const stalled = await post();
  t.equal(stalled.statusCode, 503);
  t.ok(Number(stalled.headers['retry-after']) > 0);
  t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
  server.resume();

  let res;
  do res = await post();
  while (res.statusCode === 503);
  t.equal(res.statusCode, 204);
  t.ok(await h.record(ok.headers['hookgate-event-id'] as string));
  t.ok(await h.record(res.headers['hookgate-event-id'] as string));
});

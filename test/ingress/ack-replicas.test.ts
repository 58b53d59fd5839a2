import t, { type Test } from 'tap';
import { eventKeys } from '../../src/queue/keys.js';
import { keySlot } from '../../src/queue/replicas.js';
import { startReplicatedRedis } from '../helpers/redis-replica.js';
import { ingress } from './harness.js';

/**
 * `redis.ackReplicas` against a real master + replica (throwaway redis-servers,
 * `--replicaof`): the durable ack waits for WAIT, so an event answered 2xx is on the
 * replica already; with the replica gone the answer is a 503 within enqueueTimeout
 * that says why; with 0 nothing changes.
 */
const ENQUEUE_TIMEOUT = 600;

async function setup(t: Test, ackReplicas: number) {
  const redis = await startReplicatedRedis(t);
  const h = await ingress(
    t,
    {
      server: { enqueueTimeout: `${ENQUEUE_TIMEOUT}ms` },
      redis: { ackReplicas },
      sources: { s: { dedupe: { header: 'x-delivery' }, rateLimit: { max: 100_000 } } },
    },
    { redisUrl: redis.master.url },
  );
  let n = 0;
  const post = (delivery = `d-${n++}`) =>
    h.app.inject({
      method: 'POST',
      url: '/hooks/s',
      headers: { 'content-type': 'application/json', 'x-delivery': delivery },
      payload: JSON.stringify({ delivery }),
    });
  const onReplica = (eventId: string) => redis.onReplica.exists(eventKeys(h.prefix).record(eventId));
  return { ...redis, h, post, onReplica };
}

t.test('ackReplicas 1: every 2xx event is on the replica when the answer arrives', async (t) => {
  const { post, onReplica, h, master } = await setup(t, 1);
  // The gateway's first request also waits for its first connection: on a loaded
  // machine that and a first WAIT can miss the 600 ms budget. Retried as a provider
  // would, it is stored once (dedupe), and the events below are measured warm.
  let warm = await post('warm-up');
  for (let i = 0; i < 10 && warm.statusCode !== 204; i++) warm = await post('warm-up');
  t.equal(warm.statusCode, 204, 'warm-up event accepted');
  // One at a time, and 50 at once: each answer checked against the replica at once.
  for (let i = 0; i < 10; i++) {
    const res = await post();
    t.equal(res.statusCode, 204);
    t.equal(await onReplica(res.headers['hookgate-event-id'] as string), 1, `event ${i} on the replica`);
  }
  const checks = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const res = await post();
      return res.statusCode === 204 && (await onReplica(res.headers['hookgate-event-id'] as string)) === 1;
    }),
  );
  t.equal(checks.filter(Boolean).length, 50, '50 concurrent: all 204 and all on the replica');
  t.equal((await h.stored()).length, 61, 'the 60 events and the warm-up, each once');

  // A duplicate is answered as before (its original was confirmed when it was accepted).
  const dup = await post('d-0');
  t.equal(dup.statusCode, 204);

  // One WAIT covers every write before it on the connection: concurrent acks share them.
  const stats = await h.redis.info('commandstats');
  const waits = Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  t.ok(waits >= 1 && waits < 61, `${waits} WAIT calls for 61 events`);
  void master;
});

t.test('ackReplicas 1, replica stalled or stopped: 503 within enqueueTimeout, saying why', async (t) => {
  const { post, replica, h, linked } = await setup(t, 1);
  // Accepted while the replica is there (retried as a provider would: on a loaded
  // machine a first WAIT can miss the 600 ms budget).
  let first = await post('before');
  for (let i = 0; i < 10 && first.statusCode !== 204; i++) first = await post('before');
  t.equal(first.statusCode, 204);

  for (const [what, stop, start] of [
    ['stalled (SIGSTOP)', () => replica.pause(), () => replica.resume()],
    ['stopped (SIGKILL)', () => replica.kill(), () => replica.start()],
  ] as const) {
    await stop();
    const started = performance.now();
    const res = await post(`refused-${what}`);
    const took = performance.now() - started;
    t.equal(res.statusCode, 503, `${what}: 503`);
    t.ok(took < ENQUEUE_TIMEOUT + 500, `${what}: answered in ${Math.round(took)} ms`);
    t.ok(Number(res.headers['retry-after']) > 0, 'retry-after');
    t.same(JSON.parse(res.body), {
      error: {
        code: 'STORE_UNAVAILABLE',
        message: 'The event could not be confirmed on enough Redis replicas in time; retry later.',
      },
    });
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reason);
    t.match(lines.at(-1), {
      level: 50,
      reason: 'replicas',
      err: { message: '0 of 1 replica(s) confirmed the write in time' },
    });
    // Retried while the replica is still away: its duplicate is not answered 2xx either
    // (the original is only on the master).
    const early = await post(`refused-${what}`);
    t.equal(early.statusCode, 503, `${what}: the retry as well, while the replica is away`);
    await start();
    await linked();
    // The provider's retry: the event is on the master already, so with a dedupe key
    // it is a duplicate answered 2xx, once the replica is back.
    let again;
    do again = await post(`refused-${what}`);
    while (again.statusCode === 503);
    t.equal(again.statusCode, 204, `${what}: the retry is accepted once the replica is back`);
    t.equal((await post()).statusCode, 204, `${what}: new events accepted again`);
  }
  t.notMatch(h.logs.join('\n'), /password/i);
});

t.test('ackReplicas 0: unchanged, the master alone acks (even with the replica stopped)', async (t) => {
  const { post, replica, h } = await setup(t, 0);
  await replica.kill();
  const res = await post();
  t.equal(res.statusCode, 204);
  t.ok(await h.record(res.headers['hookgate-event-id'] as string));
  t.notOk(/cmdstat_wait:/.test(await h.redis.info('commandstats')), 'no WAIT sent');
});

t.test('keySlot is CLUSTER KEYSLOT (CRC16, hash tags)', async (t) => {
  // Values from the Redis Cluster spec and redis-cli CLUSTER KEYSLOT.
  t.equal(keySlot('123456789'), 12739);
  t.equal(keySlot('foo'), 12182);
  t.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  t.equal(keySlot('{hookgate}:ev:01ABC'), keySlot('hookgate'));
});

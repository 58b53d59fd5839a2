import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { RecordSink } from '../../src/ingress/proxy/record-sink.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import { buildEnvelope } from '../../src/record/build.js';
import { newEventId } from '../../src/record/id.js';
import { captureLogger } from '../ingress/harness.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/redis.js';
import { storedEvent } from '../helpers/stored-events.js';
import { eventually } from './harness.js';

/**
 * The record sink on its own, over a real intake writer and a throwaway Redis: what
 * shutdown does with records still waiting. Background retries are pushed out of
 * reach (an hour), so only close() can be what writes them.
 */
function record(body: string) {
  const id = newEventId();
  return buildEnvelope(
    {
      id,
      receivedAt: Date.now(),
      source: 'api',
      method: 'POST',
      routePath: '/api',
      path: '/api',
      rawQueryString: '',
      rawHeaders: [],
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1',
      domainName: 'localhost',
      verified: false,
      verifier: 'none',
    },
    { condition: 'Success', response: { statusCode: 200, headers: {}, body: '', isBase64Encoded: false } },
  );
}

async function setup(t: Test, redis: RedisServer) {
  const prefix = uniquePrefix('sink');
  const { logger, lines } = captureLogger();
  const metrics = createMetrics({ defaults: false });
  const intakeWriter = createIntakeWriter({
    redis: { url: redis.url, prefix },
    retention: 60_000,
    enqueueTimeout: 300,
    logger,
  });
  const conn = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  conn.on('error', () => {});
  t.teardown(async () => {
    await intakeWriter.close();
    conn.disconnect();
  });
  t.ok(await intakeWriter.ping(5000), 'connected once');
  const sink = new RecordSink({
    intakeWriter,
    source: 'api',
    capacity: 10,
    logger,
    metrics,
    retryEveryMs: 3_600_000,
  });
  const lost = async (reason: string) =>
    (await metrics.recordsLost.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const stored = async (eventId: string) => (await storedEvent(conn, prefix, eventId))?.record;
  return { sink, stored, lines, lost };
}

t.test('close() writes the waiting records once Redis is back within shutdownTimeout', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.destroy());
  const { sink, stored, lost } = await setup(t, redis);

  await redis.kill();
  const waiting = [record('a'), record('b')];
  for (const r of waiting) sink.submit(r);
  await eventually(() => (sink.buffered === 2 ? true : undefined));

  await redis.start();
  await sink.close(Date.now() + 10_000);
  t.equal(sink.buffered, 0);
  for (const r of waiting) t.same(await stored(r.id), r, `${r.id} written at shutdown`);
  t.equal(await lost('shutdown'), 0);
});

t.test('close() gives up at its deadline: what is left is counted lost, not waited for', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.destroy());
  const { sink, lines, lost } = await setup(t, redis);

  await redis.kill();
  const r = record('c');
  sink.submit(r);
  await eventually(() => (sink.buffered === 1 ? true : undefined));
  await sink.close(Date.now() + 300);
  t.equal(sink.buffered, 0);
  t.equal(await lost('shutdown'), 1);
  t.ok(lines.some((l) => l.includes(r.id) && l.includes('shutdown ran out of time')));

  sink.submit(record('after close'));
  t.equal(await lost('shutdown'), 2, 'a record after shutdown has nowhere to wait');
});

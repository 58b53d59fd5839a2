import t from 'tap';
import type { EventLog } from '../../src/event-log/log.js';
import { createLoggedHistory } from '../../src/events/logged-history.js';
import { createRedisHistory, type RedisHistory } from '../../src/events/history.js';
import { sampleRecord } from '../destinations/record.js';
import { harness, testConfig, withEventLog } from '../worker/harness.js';

/**
 * The log writer commits an event to the log and then Redis lets go of it. A listing
 * reads both; whenever that move falls between its two reads, the event must still be
 * on the page. Here the move is made at the worst moment for a listing that reads the
 * log first (or both at once): right after the log was read, and before Redis is.
 */
t.test('an event moving from Redis to the log while a page is read is on the page', async (t) => {
  const h = harness(t, withEventLog(testConfig({ sources: { stripe: { routes: [] } } }, 'moving'), 'moving'));
  const log = h.log!;
  await log.ready();
  const record = sampleRecord();
  await h.publish(record);

  let moved!: () => void;
  const movedOrLater = new Promise<void>((resolve) => {
    moved = resolve;
    // A listing that reads Redis first reads it while the event is still there.
    setTimeout(resolve, 300);
  });
  /** What the log writer does: the log has the event, then Redis lets go of it. */
  const moveToLog = async () => {
    await log.write([
      {
        id: record.id,
        receivedAt: Date.parse(record.timestamp),
        source: record.source,
        status: 'unrouted',
        envelope: record,
        deliveries: [],
      },
    ]);
    const keys = (await h.queues.locate(record.id)).keys;
    const entries = (await h.queues.redis.xrange(keys.intake, '-', '+')) as [string, string[]][];
    await h.queues.redis.del(keys.record(record.id), keys.status(record.id));
    if (entries.length) await h.queues.redis.xdel(keys.intake, ...entries.map(([id]) => id));
  };
  const redis = createRedisHistory(h.queues, h.config);
  const racingRedis: RedisHistory = {
    ...redis,
    unlogged: async (...args) => {
      await movedOrLater;
      return redis.unlogged(...args);
    },
  };
  const racingLog: EventLog = {
    ...log,
    list: async (...args) => {
      const rows = await log.list(...args);
      await moveToLog();
      moved();
      return rows;
    },
  };
  const page = await createLoggedHistory(racingRedis, racingLog).list();
  t.same(
    page.items.map((e) => e.id),
    [record.id],
    'listed: from Redis, read before the move, or from the log, read after it',
  );
  t.equal(
    await h.queues.redis.exists((await h.queues.locate(record.id)).keys.record(record.id)),
    0,
    'it moved',
  );
  t.equal((await log.get(record.id))?.id, record.id);
});
